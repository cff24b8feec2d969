// POST /api/webhooks/ghl | /api/webhooks/ghl/workflow | /api/webhooks/xero
//
// One catch-all route: @act/core's createAct router dispatches on the path
// (`/api/webhooks/<source>[/<processor>]`) and answers 404, naming the
// sources, for anything else. The handler is web-standard (Request in,
// Response out) and reads the raw body bytes itself for the signature check,
// so never call request.json() / request.text() before passing the request on.
//
// This route uses node-postgres, so it runs on the Node.js runtime. The same
// handler also runs on the edge runtime (`export const runtime = 'edge'`) with
// the supabase-js driver: createPostgresState({ supabaseUrl, supabaseKey }).
import { getAct } from '../../../../lib/act';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return getAct().act.handler(request);
}
