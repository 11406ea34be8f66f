import { json } from '@sveltejs/kit';
import { buildOpenApiDocument } from '$lib/server/api/openapi';

export const GET = ({ url }) => json(buildOpenApiDocument(url.origin), { headers: { 'Cache-Control': 'no-cache' } });
