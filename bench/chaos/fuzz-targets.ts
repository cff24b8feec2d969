/**
 * The webhook processors under fuzz, each with a way to sign a body the way
 * its provider does and a few realistic bodies to mutate.
 */
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import type { WebhookProcessorV1 } from '@act/core';

export interface FuzzTarget {
  name: string;
  processor: WebhookProcessorV1;
  /** Every header the processor authenticates with (garbage goes there too). */
  authHeaders: string[];
  /** Headers that make `body` authentic. */
  sign(body: Uint8Array): Record<string, string>;
  /** Signature headers forged for `body`: right shape, wrong bytes (a flipped bit, another body, another key). */
  forge(body: Uint8Array, choice: number): Record<string, string>;
  /** A valid body of this provider (fresh timestamps where checked). */
  sample(index: number): string;
  /** Whether the signature binds the body (a shared-secret header does not). */
  bodyBound: boolean;
}

const flipBit = (bytes: Buffer, at: number): Buffer => {
  const copy = Buffer.from(bytes);
  const index = at % copy.length;
  copy[index] = (copy[index] as number) ^ (1 << (at % 8));
  return copy;
};

export async function fuzzTargets(): Promise<FuzzTarget[]> {
  const { createTemplateConnector } = await import('@act/connector-template');
  const { createGhlConnector } = await import('@act/connector-ghl');
  const { createXeroConnector } = await import('@act/connector-xero');

  // Template: HMAC-SHA256, `x-template-signature: t=<unix>,v1=<hex of HMAC("<t>.<body>")>`.
  const templateSecret = 'whsec_fuzz_0123456789abcdef';
  const templateHmac = (secret: string, t: number, body: Uint8Array) =>
    createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  const template: FuzzTarget = {
    name: 'template',
    processor: createTemplateConnector({ webhookSecrets: [templateSecret], apiToken: 'fuzz' })
      .webhook as WebhookProcessorV1,
    authHeaders: ['x-template-signature'],
    bodyBound: true,
    sign(body) {
      const t = Math.floor(Date.now() / 1000);
      return { 'x-template-signature': `t=${t},v1=${templateHmac(templateSecret, t, body).toString('hex')}` };
    },
    forge(body, choice) {
      const t = Math.floor(Date.now() / 1000);
      const good = templateHmac(templateSecret, t, body);
      const variants = [
        `t=${t},v1=${flipBit(good, choice).toString('hex')}`,
        `t=${t},v1=${templateHmac('whsec_wrong', t, body).toString('hex')}`,
        `t=${t + 1 + (choice % 50)},v1=${good.toString('hex')}`, // the signed t changed
        `t=${t - 400 - (choice % 1000)},v1=${templateHmac(templateSecret, t - 400 - (choice % 1000), body).toString('hex')}`, // outside the window
        `t=${t},v1=${templateHmac(templateSecret, t, Buffer.concat([Buffer.from(body), Buffer.from(' ')])).toString('hex')}`,
      ];
      return { 'x-template-signature': variants[choice % variants.length] as string };
    },
    sample(index) {
      const at = new Date().toISOString();
      return JSON.stringify({
        id: `evt_${index}`,
        type: ['record.created', 'record.updated', 'record.deleted'][index % 3],
        account_id: 'acct_fuzz',
        created_at: at,
        data:
          index % 3 === 2
            ? { object_id: `rec_${index}` }
            : { object: { id: `rec_${index}`, name: 'Ada', updated_at: at } },
      });
    },
  };

  // GoHighLevel: Ed25519 over the raw body, base64 in `x-ghl-signature`, with a key pair made for the run.
  const ghlKeys = generateKeyPairSync('ed25519');
  const otherKeys = generateKeyPairSync('ed25519');
  const ghlPublicPem = ghlKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const workflowSecret = 'wf_secret_fuzz_0123456789';
  const ghl = createGhlConnector({
    webhook: { ed25519PublicKeys: [ghlPublicPem] },
    workflowWebhook: { secrets: [workflowSecret] },
  });
  const ghlSign = (body: Uint8Array, key = ghlKeys.privateKey) => sign(null, body, key);
  const ghlWebhook: FuzzTarget = {
    name: 'ghl-webhook',
    processor: ghl.webhook as unknown as WebhookProcessorV1,
    authHeaders: ['x-ghl-signature', 'x-wh-signature'],
    bodyBound: true,
    sign: (body) => ({ 'x-ghl-signature': ghlSign(body).toString('base64') }),
    forge(body, choice) {
      const good = ghlSign(body);
      const variants = [
        { 'x-ghl-signature': flipBit(good, choice).toString('base64') },
        { 'x-ghl-signature': ghlSign(body, otherKeys.privateKey).toString('base64') },
        { 'x-ghl-signature': ghlSign(Buffer.concat([Buffer.from(body), Buffer.from('\n')])).toString('base64') },
        // An invalid x-ghl-signature is never rescued by the legacy header.
        { 'x-ghl-signature': flipBit(good, choice + 3).toString('base64'), 'x-wh-signature': good.toString('base64') },
        { 'x-wh-signature': good.toString('base64') }, // legacy RSA header carrying an Ed25519 signature
      ];
      return variants[choice % variants.length] as Record<string, string>;
    },
    sample(index) {
      return JSON.stringify({
        type: ['ContactCreate', 'ContactUpdate', 'OpportunityUpdate', 'ContactDelete', 'NoteCreate'][index % 5],
        locationId: 'loc_fuzz',
        id: `c_${index}`,
        webhookId: `wh_${index}`,
        timestamp: new Date().toISOString(),
        firstName: 'Ada',
        email: 'ada@example.com',
        tags: ['a', 'b'],
      });
    },
  };
  const ghlWorkflow: FuzzTarget = {
    name: 'ghl-workflow',
    processor: ghl.workflowWebhook as unknown as WebhookProcessorV1,
    authHeaders: ['x-act-workflow-secret'],
    bodyBound: false,
    sign: () => ({ 'x-act-workflow-secret': workflowSecret }),
    forge(_body, choice) {
      const chars = [...workflowSecret];
      const at = choice % chars.length;
      chars[at] = chars[at] === 'x' ? 'y' : 'x';
      const variants = [
        chars.join(''),
        workflowSecret.slice(0, -1),
        `${workflowSecret}0`,
        workflowSecret.toUpperCase(),
        '',
      ];
      return { 'x-act-workflow-secret': variants[choice % variants.length] as string };
    },
    sample(index) {
      return JSON.stringify({
        contact_id: `c_${index}`,
        first_name: 'Ada',
        email: 'ada@example.com',
        tags: 'a,b',
        location: { id: 'loc_fuzz', name: 'Fuzz' },
        workflow: { id: 'wf', name: 'Fuzz' },
      });
    },
  };

  // Xero: base64 HMAC-SHA256 of the body with the webhook key (its text bytes), `x-xero-signature`.
  const xeroKey = 'fuzz-xero-key/0123456789+ABCDEFabcdef==';
  const xeroHmac = (key: string, body: Uint8Array) => createHmac('sha256', key).update(body).digest();
  const xero: FuzzTarget = {
    name: 'xero',
    processor: createXeroConnector({ webhook: { keys: [xeroKey] } }).webhook as unknown as WebhookProcessorV1,
    authHeaders: ['x-xero-signature'],
    bodyBound: true,
    sign: (body) => ({ 'x-xero-signature': xeroHmac(xeroKey, body).toString('base64') }),
    forge(body, choice) {
      const good = xeroHmac(xeroKey, body);
      const variants = [
        flipBit(good, choice).toString('base64'),
        xeroHmac('another-key', body).toString('base64'),
        // The key base64-decoded is the classic mistake; it must not verify either.
        xeroHmac(Buffer.from(xeroKey, 'base64').toString('latin1'), body).toString('base64'),
        good.toString('hex'),
        xeroHmac(xeroKey, Buffer.concat([Buffer.from(body), Buffer.from(' ')])).toString('base64'),
      ];
      return { 'x-xero-signature': variants[choice % variants.length] as string };
    },
    sample(index) {
      const tenant = 'e629a03c-7ffe-4913-bd94-ff2fdb36a702';
      const events =
        index % 4 === 0
          ? []
          : [
              {
                resourceUrl: `https://api.xero.com/api.xro/2.0/Invoices/inv-${index}`,
                resourceId: `inv-${index}`,
                eventDateUtc: new Date().toISOString(),
                eventType: 'UPDATE',
                eventCategory: 'INVOICE',
                tenantId: tenant,
                tenantType: 'ORGANISATION',
              },
            ];
      return JSON.stringify({ events, firstEventSequence: index, lastEventSequence: index, entropy: `E${index}` });
    },
  };
  return [template, ghlWebhook, ghlWorkflow, xero];
}
