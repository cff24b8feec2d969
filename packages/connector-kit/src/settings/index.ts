// Settings from the environment; see README.md.
export type { Env, EnvListOptions, EnvOAuth2AppOptions, EnvReader, OAuth2Settings, SettingsOverrides } from './env';
export { envReader, mergeSettings } from './env';
