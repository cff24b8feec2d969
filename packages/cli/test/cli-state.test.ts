// ACT_CREDENTIALS_KEY reaches the state the CLI opens (issue 11, finding 11): the tokens
// your app saved encrypted are read with the same key list, and never written in plaintext.
import { afterEach, describe, expect, it } from 'vitest';
import { withState } from '../src/cli-state';
import { act, pgliteTarget, type Target } from './helpers';

const KEY = `k1:${btoa(String.fromCharCode(...new Uint8Array(32).fill(4)))}`;

describe('the CLI state and ACT_CREDENTIALS_KEY', () => {
  let target: Target | undefined;
  afterEach(async () => {
    await target?.destroy();
    target = undefined;
  });

  it('encrypts what it saves in act_credentials and reads it back with the key', async () => {
    target = await pgliteTarget();
    expect((await act(['migrate', ...target.args], { env: target.env })).code).toBe(0);
    const io = {
      stdout: { write: () => true },
      stderr: { write: () => true },
      env: { ACT_CREDENTIALS_KEY: KEY },
    };
    const flags = { pglite: target.args[1] };
    await withState(flags, io, async (state) => {
      await state.credentials.put('xero:org-1', { refreshToken: 'rt-PLAINTEXT' });
    });
    const [row] = await target.query<{ value: unknown }>("select value from act_credentials where key = 'xero:org-1'");
    expect(JSON.stringify(row?.value)).not.toContain('PLAINTEXT');
    expect(row?.value).toMatchObject({ 'act:encrypted': 1, kid: 'k1' });
    const read = await withState(flags, io, (state) => state.credentials.get('xero:org-1'));
    expect(read?.value).toEqual({ refreshToken: 'rt-PLAINTEXT' });
  });
});
