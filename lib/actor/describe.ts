/**
 * Names a value for a log line or an error message without running any of its code.
 * Messages may come from the network: `String(value)`, `value.constructor.name`, a
 * getter or a `toString` can throw, loop or cost a lot. This reads own data properties
 * through descriptors only, and bounds the text.
 */

const MAX_NAME = 80;

/** `string`, `number`, `Array(3)`, `Map`, `ProcessPayment`, `object`, …; never throws. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  const type = typeof value;
  if (type !== 'object' && type !== 'function') return type;
  try {
    if (Array.isArray(value)) return 'Array';
    const name = className(value as object);
    return name ?? (type === 'function' ? 'function' : 'object');
  } catch {
    // A Proxy's getPrototypeOf trap, for one, may throw.
    return type;
  }
}

/** The class name of an object from its prototype's `constructor`, if it is a plain data property with a string name. */
function className(value: object): string | undefined {
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === null) return 'object';
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor');
  if (!ctor || typeof ctor.value !== 'function') return undefined;
  const name = Object.getOwnPropertyDescriptor(ctor.value, 'name');
  if (!name || typeof name.value !== 'string' || name.value.length === 0) return undefined;
  return printable(name.value);
}

/** Bounds untrusted text for a log line and strips control characters (no forged log lines). */
export function printable(text: string, max = MAX_NAME): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
