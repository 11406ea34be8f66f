import { buildOpenApiDocument } from '$lib/server/api/openapi';

export const load = ({ url }) => ({ doc: buildOpenApiDocument(url.origin) });
