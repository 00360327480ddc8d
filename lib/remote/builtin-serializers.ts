/**
 * Wire names for the library's own message classes, so a Listing or a Register can cross
 * nodes with no registration by the user. Each codec checks the shape and types of what
 * arrived (its errors name no peer data), then rebuilds through the class constructor.
 * The receptionist's protocol is defined in the actor layer, so these codecs need nothing above it.
 */
import { ActorAddress, Deregister, Deregistered, Find, InternalActorRef, Listing, Register, Registered, ServiceKey, Subscribe, Unsubscribe, type ActorRef, type ServiceInstance } from '../actor/index.js';
import { registerGlobally } from './serialization.js';

function tuple(data: unknown, length: number): unknown[] {
  if (!Array.isArray(data) || data.length !== length) throw new TypeError(`expected an array of ${length}`);
  return data;
}

function ref(value: unknown): ActorRef<never> {
  if (!(value instanceof InternalActorRef)) throw new TypeError('expected an actor ref');
  return value as ActorRef<never>;
}

function optionalRef(value: unknown): ActorRef<never> | undefined {
  return value === null || value === undefined ? undefined : ref(value);
}

function key(value: unknown): ServiceKey<never> {
  if (!(value instanceof ServiceKey)) throw new TypeError('expected a ServiceKey');
  return value as ServiceKey<never>;
}

registerGlobally(ActorAddress, {
  name: 'actor.ActorAddress',
  codec: {
    toWire: a => a.toString(),
    fromWire: d => {
      if (typeof d !== 'string') throw new TypeError('expected an address string');
      return ActorAddress.parse(d);
    },
  },
});

registerGlobally(ServiceKey, {
  name: 'receptionist.ServiceKey',
  codec: {
    toWire: k => k.id,
    fromWire: d => {
      // Checked here: the constructor's own error quotes its argument with JSON.stringify.
      if (typeof d !== 'string') throw new TypeError('expected a service key id string');
      return new ServiceKey(d);
    },
  },
});

registerGlobally(Listing, {
  name: 'receptionist.Listing',
  codec: {
    toWire: l => [l.key, l.allInstances.map(i => [i.ref, i.node, i.reachable])],
    fromWire: d => {
      const [k, instances] = tuple(d, 2);
      if (!Array.isArray(instances)) throw new TypeError('expected a list of instances');
      const all = instances.map((entry): ServiceInstance<unknown> => {
        const [r, node, reachable] = tuple(entry, 3);
        if (typeof node !== 'string' || typeof reachable !== 'boolean') throw new TypeError('malformed instance');
        return Object.freeze({ ref: ref(r), node, reachable });
      });
      return new Listing(key(k), all);
    },
  },
});

for (const [cls, name] of [
  [Register, 'receptionist.Register'],
  [Deregister, 'receptionist.Deregister'],
] as const) {
  registerGlobally<Register<unknown> | Deregister<unknown>>(cls, {
    name,
    codec: {
      toWire: m => [m.key, m.ref, m.replyTo ?? null],
      fromWire: d => {
        const [k, r, replyTo] = tuple(d, 3);
        return new cls(key(k), ref(r), optionalRef(replyTo));
      },
    },
  });
}

for (const [cls, name] of [
  [Registered, 'receptionist.Registered'],
  [Deregistered, 'receptionist.Deregistered'],
] as const) {
  registerGlobally<Registered<unknown> | Deregistered<unknown>>(cls, {
    name,
    codec: {
      toWire: m => [m.key, m.ref],
      fromWire: d => {
        const [k, r] = tuple(d, 2);
        return new cls(key(k), ref(r));
      },
    },
  });
}

registerGlobally(Find, {
  name: 'receptionist.Find',
  codec: {
    toWire: m => [m.key, m.replyTo],
    fromWire: d => {
      const [k, r] = tuple(d, 2);
      return new Find(key(k), ref(r));
    },
  },
});

for (const [cls, name] of [
  [Subscribe, 'receptionist.Subscribe'],
  [Unsubscribe, 'receptionist.Unsubscribe'],
] as const) {
  registerGlobally<Subscribe<unknown> | Unsubscribe<unknown>>(cls, {
    name,
    codec: {
      toWire: m => [m.key, m.subscriber],
      fromWire: d => {
        const [k, r] = tuple(d, 2);
        return new cls(key(k), ref(r));
      },
    },
  });
}
