import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // Loaded by Node at run time, not bundled: @act/sink-supabase imports its
  // drivers (pg, and optionally @electric-sql/pglite / @supabase/supabase-js)
  // only when used, and the bundler must not try to resolve the ones you did
  // not install. pg is on Next's built-in list already.
  serverExternalPackages: ['@act/sink-supabase'],
};

export default nextConfig;
