import { createMemoryCredentialStore } from '@act/core';
import { describe, expect, it } from 'vitest';
import { createGmailConnector } from '../src/gmail-connector';
import { loadGmailSettings } from '../src/gmail-settings';

const credentials = createMemoryCredentialStore();

describe('loadGmailSettings', () => {
  it('reads the OAuth app, push, watch and fetch settings', () => {
    const settings = loadGmailSettings(
      {
        GOOGLE_CLIENT_ID: 'client.apps.googleusercontent.com',
        GOOGLE_CLIENT_SECRET: 'secret',
        GMAIL_PUSH_AUDIENCE: 'https://app.example.com/gmail',
        GMAIL_PUSH_SERVICE_ACCOUNT: 'push@project.iam.gserviceaccount.com',
        GMAIL_PUSH_TOKEN: 'new, old',
        GMAIL_PUBSUB_TOPIC: 'projects/my-project/topics/gmail',
        GMAIL_WATCH_LABEL_IDS: 'INBOX,SENT',
        GMAIL_WATCH_LABEL_FILTER: 'INCLUDE',
        GMAIL_MESSAGE_FORMAT: 'full',
        GMAIL_METADATA_HEADERS: 'From,To',
        GMAIL_BASE_URL: 'http://localhost:9000/gmail/v1/',
      },
      { oauth: { credentials } },
    );
    expect(settings).toMatchObject({
      oauth: { clientId: 'client.apps.googleusercontent.com', clientSecret: 'secret', credentials },
      push: {
        audience: 'https://app.example.com/gmail',
        serviceAccountEmail: 'push@project.iam.gserviceaccount.com',
        tokens: ['new', 'old'],
      },
      watch: {
        topicName: 'projects/my-project/topics/gmail',
        labelIds: ['INBOX', 'SENT'],
        labelFilterBehavior: 'INCLUDE',
      },
      messageFormat: 'full',
      metadataHeaders: ['From', 'To'],
      baseUrl: 'http://localhost:9000/gmail/v1/',
    });
    expect(settings.accessToken).toBeUndefined();
  });

  it('takes a static bearer, several audiences, and overrides from code last', () => {
    const settings = loadGmailSettings(
      {
        GOOGLE_ACCESS_TOKEN: 'ya29.token',
        GMAIL_PUSH_AUDIENCE: 'https://a.example,https://b.example',
        GMAIL_PUSH_SERVICE_ACCOUNT: 'push@p.iam.gserviceaccount.com',
      },
      { pollIntervalMs: 300_000 },
    );
    expect(settings).toMatchObject({
      accessToken: 'ya29.token',
      pollIntervalMs: 300_000,
      push: { audience: ['https://a.example', 'https://b.example'] },
    });
  });

  it.each([
    [
      {},
      /GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET \(or GOOGLE_ACCESS_TOKEN\) are not set, and neither is GMAIL_PUSH_AUDIENCE/,
    ],
    [{ GOOGLE_CLIENT_ID: 'id' }, /GOOGLE_CLIENT_SECRET is not set/],
    [
      { GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 's' },
      /GOOGLE_CLIENT_ID is set, but no credential store was given/,
    ],
    [{ GOOGLE_ACCESS_TOKEN: 't', GMAIL_PUSH_AUDIENCE: 'https://a.example' }, /GMAIL_PUSH_SERVICE_ACCOUNT is not set/],
    [{ GOOGLE_ACCESS_TOKEN: 't', GMAIL_PUSH_SERVICE_ACCOUNT: 'x@y.z' }, /GMAIL_PUSH_AUDIENCE is not set/],
    [
      { GOOGLE_ACCESS_TOKEN: 't', GMAIL_PUBSUB_TOPIC: 'my-topic' },
      /GMAIL_PUBSUB_TOPIC must be projects\/<project>\/topics\/<topic>, got "my-topic"/,
    ],
    [{ GOOGLE_ACCESS_TOKEN: 't', GMAIL_MESSAGE_FORMAT: 'minimal' }, /GMAIL_MESSAGE_FORMAT must be/],
    [{ GOOGLE_ACCESS_TOKEN: 't', GMAIL_BASE_URL: 'gmail.local' }, /GMAIL_BASE_URL is not an http\(s\) URL/],
    [
      { GOOGLE_ACCESS_TOKEN: 't', GMAIL_PUBSUB_TOPIC: 'projects/p/topics/t', GMAIL_WATCH_LABEL_FILTER: 'ONLY' },
      /GMAIL_WATCH_LABEL_FILTER must be INCLUDE or EXCLUDE/,
    ],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => loadGmailSettings(env)).toThrow(message);
    expect(() => loadGmailSettings(env)).toThrow(/^\[@act\/connector-gmail\] /);
  });

  it('refuses a push token or JWKS URL while pushes are off (no audience and service account): never ignored', () => {
    for (const name of ['GMAIL_PUSH_TOKEN', 'GOOGLE_JWKS_URL']) {
      expect(() => loadGmailSettings({ GOOGLE_ACCESS_TOKEN: 't', [name]: 'https://x.example/jwks' })).toThrow(
        `[@act/connector-gmail] ${name} is set, but GMAIL_PUSH_AUDIENCE and GMAIL_PUSH_SERVICE_ACCOUNT are not (pushes are off)`,
      );
    }
  });

  it('refuses OAuth and a static bearer together', () => {
    expect(() =>
      loadGmailSettings(
        { GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 's', GOOGLE_ACCESS_TOKEN: 't' },
        { oauth: { credentials } },
      ),
    ).toThrow(/not both/);
  });
});

describe('createGmailConnector settings checks', () => {
  it.each([
    [{ accessToken: 't', pageSize: 501 }, /pageSize must be an integer from 1 to 500, got 501/],
    [{ accessToken: 't', pollIntervalMs: 1_000 }, /pollIntervalMs must be at least 60000/],
    [{ accessToken: 't', watch: { topicName: 'topics/t' } }, /watch.topicName must be projects/],
    [
      { accessToken: 't', scopes: ['https://www.googleapis.com/auth/gmail.metadata'], messageFormat: 'full' as const },
      /messageFormat "full" needs gmail.readonly .*gmail.metadata scope only allows format=metadata/,
    ],
  ])('refuses %j', (settings, message) => {
    expect(() => createGmailConnector(settings)).toThrow(message);
  });

  it('accepts gmail.metadata with the metadata format, and full with gmail.readonly', () => {
    expect(() =>
      createGmailConnector({ accessToken: 't', scopes: ['https://www.googleapis.com/auth/gmail.metadata'] }),
    ).not.toThrow();
    expect(() => createGmailConnector({ accessToken: 't', messageFormat: 'raw' })).not.toThrow();
  });
});
