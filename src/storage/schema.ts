/**
 * The shapes of the state files conman reads (valibot schemas), checked on every read so that a file of the
 * wrong shape is a clear ESTATE error naming the file and the field, not a crash somewhere later. Loose
 * objects: fields added by a newer conman of the same schema pass through. Only what readers rely on is
 * required.
 */
import * as v from 'valibot';
import { ConmanError } from '../base/errors.js';

const str = v.string();
const num = v.number();
const strs = v.array(str);

export const ContainerSchema = v.looseObject({
  id: v.pipe(str, v.regex(/^[0-9a-f]{64}$/, 'a 64-hex-digit id')),
  name: str,
  created: str,
  image: v.looseObject({ id: str, name: str }),
  config: v.looseObject({ entrypoint: strs, cmd: strs, env: strs, mounts: v.array(v.looseObject({ destination: str })) }),
  state: v.looseObject({
    status: v.picklist(['created', 'running', 'stopping', 'exited', 'removing']),
    pid: num,
    shimPid: num,
    exitCode: num,
  }),
});

export const ExitSchema = v.looseObject({ exitCode: num, finishedAt: str });

export const ImagesFileSchema = v.looseObject({
  images: v.array(v.looseObject({ id: str, names: strs, repoDigests: strs, layers: strs })),
});

/** value, checked against schema; a mismatch is an ESTATE error naming the file and the first bad field. */
export function checked<T>(file: string, schema: v.GenericSchema, value: unknown): T {
  const r = v.safeParse(schema, value);
  if (r.success) return value as T;
  const issue = r.issues[0];
  const where = issue.path?.map((p) => String(p.key)).join('.') || '(top level)';
  throw new ConmanError('ESTATE', `corrupt state file ${file}: ${where}: ${issue.message}`, {
    hint: 'move the file aside or remove the object it belongs to',
  });
}
