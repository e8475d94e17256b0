/**
 * `attach`: a connection to a running container's shim over its attach socket (the shim relays the
 * container's output to every client, and a client's input to the container when it was started with -i).
 */
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { resolveContainer } from './record.js';
import { current } from './state.js';
import { attachSocket } from '../../storage/layout.js';
import type { ContainerRecord } from '../../storage/containers.js';
import type { FrameClient } from '../runtime/shim-client.js';

export async function attachContainer(ctx: Context, ref: string): Promise<{ rec: ContainerRecord; client: FrameClient }> {
  const rec = resolveContainer(ctx, ref);
  const cur = current(ctx, rec.id)!;
  if (cur.state.status !== 'running' && cur.state.status !== 'stopping')
    throw new ConmanError('ECTRSTATE', `you can only attach to running containers: ${rec.name} is ${cur.state.status}`);
  const { connectAttach } = await import('../runtime/shim-client.js');
  try {
    return { rec, client: await connectAttach(attachSocket(ctx, rec.id)) };
  } catch (e) {
    throw new ConmanError('ERUNTIME', `cannot attach to ${rec.name}: its shim does not answer (${(e as Error).message})`);
  }
}
