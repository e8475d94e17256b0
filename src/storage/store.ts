/**
 * `<root>/store.json` records the schema version of the whole store. Written when the store is first
 * used for writing; a store written by a newer conman is refused instead of being misread.
 */
import fs from 'node:fs';
import type { Context } from '../base/context.js';
import { ConmanError } from '../base/errors.js';
import { writeJsonAtomic, readJson } from './atomic.js';
import { STORE_SCHEMA_VERSION, storeFile } from './layout.js';

const checked = new Set<string>();

export function ensureStore(ctx: Context): void {
  if (checked.has(ctx.root)) return;
  const file = storeFile(ctx);
  const cur = readJson<{ schema?: number }>(file);
  if (!cur) {
    fs.mkdirSync(ctx.root, { recursive: true });
    writeJsonAtomic(file, { schema: STORE_SCHEMA_VERSION, created: new Date().toISOString() });
  } else if (typeof cur.schema !== 'number' || cur.schema > STORE_SCHEMA_VERSION) {
    throw new ConmanError('ESTATE', `the store at ${ctx.root} has schema ${cur.schema ?? '(none)'}; this conman reads schema ${STORE_SCHEMA_VERSION}`, {
      hint: 'use the conman that wrote it, or another --root',
    });
  }
  checked.add(ctx.root);
}
