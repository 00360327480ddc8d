/**
 * Injection tokens and metadata keys of the Nest module. Tokens are symbols so they can
 * never collide with an application's own string tokens.
 */

/** The resolved module options (defaults applied, validated). */
export const RECEPTIONIST_MODULE_OPTIONS = Symbol('RECEPTIONIST_MODULE_OPTIONS');

/**
 * The one ActorSystem of the application, held by the (always global) core module. The
 * description is what Nest prints when forFeature is used without forRoot, so it names the fix.
 */
export const RECEPTIONIST_ACTOR_SYSTEM = Symbol('ActorSystem of ReceptionistModule.forRoot()');

/** Reflect-metadata key under which `@Discoverable` records its entries. */
export const DISCOVERABLE_METADATA = 'nestjs-receptionist:discoverable';

/** Context of the module's own log lines, as Nest modules name theirs. */
export const RECEPTIONIST_LOGGER_CONTEXT = 'ReceptionistModule';
