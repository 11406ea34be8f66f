import { listTemplates, saveTemplate } from '$db/access/imports';
import { getDb } from '$lib/server/context';
import { endpoint, ok, readJson } from '$lib/server/api/respond';
import { saveTemplateRequest } from '$lib/server/api/registry-schemas';
import { presentTemplate } from '$lib/server/api/presenters/imports';

export const GET = endpoint(async ({ locals }) => ok((await listTemplates(getDb(), locals.actor)).map(presentTemplate)));

/** Save a mapping by name; saving the same name again replaces it (200). */
export const POST = endpoint(async ({ locals, request }) => {
  const input = await readJson(request, saveTemplateRequest);
  const { template, replaced } = await saveTemplate(getDb(), locals.actor, input);
  return ok(presentTemplate(template), { status: replaced ? 200 : 201 });
});
