/** Reads back what `@Discoverable` recorded, on a class or on one of its methods. */
import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { DiscoverableMetadata } from './interfaces/index.js';
import { DISCOVERABLE_METADATA } from './receptionist.constants.js';

const NONE: readonly DiscoverableMetadata[] = Object.freeze([]);

@Injectable()
export class DiscoverableMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  /** Entries of a class-level `@Discoverable` (inherited by subclasses). */
  classEntries(target: Function): readonly DiscoverableMetadata[] {
    return this.reflector.get<DiscoverableMetadata[] | undefined>(DISCOVERABLE_METADATA, target) ?? NONE;
  }

  /** Entries of `@Discoverable` on a method (the function found on the prototype). */
  methodEntries(method: Function): readonly DiscoverableMetadata[] {
    return this.reflector.get<DiscoverableMetadata[] | undefined>(DISCOVERABLE_METADATA, method) ?? NONE;
  }
}
