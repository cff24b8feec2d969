// POST /api/webhooks/ghl | /api/webhooks/ghl-workflow | /api/webhooks/xero
//
// The handlers are web-standard (Request in, Response out): they read the raw
// body bytes themselves for the signature check, so never call
// request.json() / request.text() before passing the request on.
//
// This route uses node-postgres, so it runs on the Node.js runtime. The same
// handler also runs on the edge runtime (`export const runtime = 'edge'`) with
// the supabase-js driver: createPostgresState({ supabaseUrl, supabaseKey }).
import { getAct } from '../../../../lib/act';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function POST(request: Request, { params }: { params: Promise<{ source: string }> }): Promise<Response> {
  const { source } = await params;
  const { handlers } = getAct();
  const handler = Object.hasOwn(handlers, source) ? handlers[source] : undefined;
  if (!handler) return Response.json({ error: `unknown webhook source "${source}"` }, { status: 404 });
  return handler(request);
}
