/**
 * Demo workspace for `npm start`, loaded once the stack is up: Helix's molecules
 * (24 marketed kinase inhibitors, registered through POST /api/v1/molecules with
 * sponsor IDs and example potencies), and a library board shared with Synthara
 * CRO, laid out in lanes with tags, a note and a comment thread.
 *
 * It goes through the product's own doors — the REST API as Ana, and a real
 * Hocuspocus client as Ben for the board edits — so what a new user sees was
 * made the way they would make it, history and audit trail included.
 * Idempotent: a second run finds the library and does nothing.
 */
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { addComment, setNoteText, setTag } from '../common/board';
import { DEMO_PASSWORD } from '../db/seed';

export const DEMO_LIBRARY_NAME = 'Kinase panel — triage round 1';

type Lane = 'ideas' | 'make' | 'test' | 'advance' | 'drop';
/** name, SMILES, example IC50 (nM) against the panel's primary kinase, lane, tags. Potencies are illustrative demo values. */
const MOLECULES: Array<[string, string, number, Lane, string[]]> = [
  ['imatinib', 'Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1', 38, 'advance', ['type II']],
  ['nilotinib', 'Cc1cn(-c2cc(NC(=O)c3ccc(C)c(Nc4nccc(-c5cccnc5)n4)c3)cc(C(F)(F)F)c2)cn1', 12, 'advance', ['type II']],
  ['dasatinib', 'Cc1nc(Nc2ncc(C(=O)Nc3c(C)cccc3Cl)s2)cc(N2CCN(CCO)CC2)n1', 0.8, 'advance', ['potent']],
  ['bosutinib', 'COc1cc(Nc2c(C#N)cnc3cc(OCCCN4CCN(C)CC4)c(OC)cc23)c(Cl)cc1Cl', 5.2, 'test', []],
  ['ponatinib', 'Cc1ccc(C(=O)Nc2ccc(CN3CCN(C)CC3)c(C(F)(F)F)c2)cc1C#Cc1cnc2cccnn12', 0.4, 'test', ['potent', 'type II']],
  ['gefitinib', 'COc1cc2ncnc(Nc3ccc(F)c(Cl)c3)c2cc1OCCCN1CCOCC1', 420, 'test', ['quinazoline']],
  ['erlotinib', 'COCCOc1cc2ncnc(Nc3cccc(C#C)c3)c2cc1OCCOC', 610, 'test', ['quinazoline']],
  ['lapatinib', 'CS(=O)(=O)CCNCc1ccc(-c2ccc3ncnc(Nc4ccc(OCc5cccc(F)c5)c(Cl)c4)c3c2)o1', 880, 'drop', ['quinazoline']],
  ['afatinib', 'CN(C)C/C=C/C(=O)Nc1cc2c(Nc3ccc(F)c(Cl)c3)ncnc2cc1O[C@H]1CCOC1', 150, 'test', ['covalent', 'quinazoline']],
  ['osimertinib', 'C=CC(=O)Nc1cc(Nc2nccc(-c3cn(C)c4ccccc34)n2)c(OC)cc1N(C)CCN(C)C', 95, 'make', ['covalent']],
  ['ibrutinib', 'C=CC(=O)N1CCC[C@@H](n2nc(-c3ccc(Oc4ccccc4)cc3)c3c(N)ncnc32)C1', 210, 'make', ['covalent']],
  ['sorafenib', 'CNC(=O)c1cc(Oc2ccc(NC(=O)Nc3ccc(Cl)c(C(F)(F)F)c3)cc2)ccn1', 55, 'make', ['type II', 'urea']],
  ['regorafenib', 'CNC(=O)c1cc(Oc2ccc(NC(=O)Nc3ccc(Cl)c(C(F)(F)F)c3)c(F)c2)ccn1', 48, 'make', ['urea']],
  ['sunitinib', 'CCN(CC)CCNC(=O)c1c(C)[nH]c(/C=C2\\C(=O)Nc3ccc(F)cc32)c1C', 75, 'make', []],
  ['axitinib', 'CNC(=O)c1ccccc1Sc1ccc2c(/C=C/c3ccccn3)n[nH]c2c1', 22, 'ideas', []],
  ['pazopanib', 'Cc1ccc(Nc2nccc(N(C)c3ccc4c(C)n(C)nc4c3)n2)cc1S(N)(=O)=O', 140, 'ideas', []],
  ['cabozantinib', 'COc1cc2nccc(Oc3ccc(NC(=O)C4(C(=O)Nc5ccc(F)cc5)CC4)cc3)c2cc1OC', 18, 'ideas', ['type II']],
  ['lenvatinib', 'COc1cc2nccc(Oc3ccc(NC(=O)NC4CC4)c(Cl)c3)c2cc1C(N)=O', 33, 'ideas', ['urea']],
  ['crizotinib', 'C[C@@H](Oc1cc(-c2cnn(C3CCNCC3)c2)cnc1N)c1c(Cl)ccc(F)c1Cl', 260, 'ideas', []],
  ['vemurafenib', 'CCCS(=O)(=O)Nc1ccc(F)c(C(=O)c2c[nH]c3ncc(-c4ccc(Cl)cc4)cc23)c1F', 1900, 'drop', ['off-target']],
  ['tofacitinib', 'C[C@@H]1CCN(C(=O)CC#N)C[C@@H]1N(C)c1ncnc2[nH]ccc12', 720, 'ideas', ['JAK']],
  ['ruxolitinib', 'N#CC[C@H](C1CCCC1)n1cc(-c2ncnc3[nH]ccc23)cn1', 540, 'ideas', ['JAK']],
  ['baricitinib', 'CCS(=O)(=O)N1CC(CC#N)(n2cc(-c3ncnc4[nH]ccc34)cn2)C1', 690, 'ideas', ['JAK']],
  ['palbociclib', 'CC(=O)c1c(C)c2cnc(Nc3ccc(N4CCNCC4)cn3)nc2n(C2CCCC2)c1=O', 1200, 'ideas', ['CDK']]
];

interface Envelope<T> {
  data: T;
  error?: { code: string; message: string };
}

class DemoApi {
  constructor(
    readonly base: string,
    readonly token: string
  ) {}
  static async login(base: string, email: string): Promise<DemoApi> {
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: DEMO_PASSWORD })
    });
    const body = (await res.json()) as Envelope<{ token: string }>;
    if (!res.ok) throw new Error(`demo sign-in as ${email}: ${body.error?.message ?? res.status}`);
    return new DemoApi(base, body.data.token);
  }
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined
    });
    const json = (await res.json()) as Envelope<T>;
    if (!res.ok) throw new Error(`${method} ${path}: ${json.error?.code ?? res.status} ${json.error?.message ?? ''}`);
    return json.data;
  }
}

/** Opens `library:<id>` as the token's user, runs `edit` on the synced doc, waits until the server has it. */
async function editBoard(collabUrl: string, token: string, libraryId: string, edit: (doc: Y.Doc) => void) {
  const doc = new Y.Doc();
  const socket = new HocuspocusProviderWebsocket({ url: collabUrl, WebSocketPolyfill: WebSocket as never });
  const provider = new HocuspocusProvider({ websocketProvider: socket, name: `library:${libraryId}`, document: doc, token });
  try {
    const synced = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the collab-server did not sync the demo board within 15 s')), 15_000);
      provider.on('synced', () => (clearTimeout(t), resolve()));
      provider.on('authenticationFailed', ({ reason }: { reason: string }) => (clearTimeout(t), reject(new Error(`collab-server refused the demo board: ${reason}`))));
    });
    provider.attach();
    await synced;
    edit(doc);
    await new Promise<void>((resolve) => {
      const done = () => (provider.unsyncedChanges === 0 ? resolve() : setTimeout(done, 50));
      done();
    });
  } finally {
    provider.destroy();
    socket.destroy();
    doc.destroy();
  }
}

/** Loads the demo workspace if it is not there yet; returns what it did, in words. */
export async function loadDemoWorkspace(opts: { webUrl: string; collabUrl: string }): Promise<string> {
  const ana = await DemoApi.login(opts.webUrl, 'ana@helix.example');
  const existing = await ana.call<Array<{ name: string }>>('GET', '/libraries?archived=true');
  if (existing.some((l) => l.name === DEMO_LIBRARY_NAME)) return 'demo workspace already loaded';

  const ids = new Map<string, string>();
  for (const [i, [name, smiles, ic50]] of MOLECULES.entries()) {
    const m = await ana.call<{ id: string }>('POST', '/molecules', {
      smiles,
      name,
      external_ids: { sponsor_id: `HX-${String(1001 + i)}` },
      properties: { IC50: { value: ic50, unit: 'nM' } }
    });
    ids.set(name, m.id);
  }

  const library = await ana.call<{ id: string }>('POST', '/libraries', {
    name: DEMO_LIBRARY_NAME,
    description: 'Marketed kinase inhibitors as reference compounds: pick the ones Synthara profiles in the next panel.'
  });
  const lanes: Lane[] = ['ideas', 'make', 'test', 'advance', 'drop'];
  for (const lane of lanes) {
    const molecule_ids = MOLECULES.filter((m) => m[3] === lane).map((m) => ids.get(m[0])!);
    await ana.call('POST', `/libraries/${library.id}/molecules`, { molecule_ids, lane_id: lane });
  }
  const [cro] = await ana.call<Array<{ id: string }>>('GET', `/organizations/directory?q=${encodeURIComponent('Synthara')}`);
  if (cro) await ana.call('POST', `/libraries/${library.id}/shares`, { organization_id: cro.id, access: 'edit' });

  const people = await ana.call<Array<{ id: string; name: string }>>('GET', `/libraries/${library.id}/people`);
  const carl = people.find((p) => p.name.startsWith('Carl'));
  const ben = await DemoApi.login(opts.webUrl, 'ben@helix.example');
  const benId = (await ben.call<{ id: string; name: string }>('GET', '/users/me')).id;
  await editBoard(opts.collabUrl, ben.token, library.id, (doc) => {
    for (const [name, , , , tags] of MOLECULES) for (const t of tags) setTag(doc, ids.get(name)!, t, true);
    setNoteText(doc, ids.get('ponatinib')!, 'Sub-nanomolar, but watch the vascular safety signal.\nAsk Synthara for the hERG panel first.');
    addComment(doc, ids.get('ponatinib')!, {
      id: randomUUID(),
      authorId: benId,
      authorName: 'Ben Okafor',
      text: carl ? `@[${carl.name}](${carl.id}) can you fit hERG and CYP3A4 into this round?` : 'Can Synthara fit hERG and CYP3A4 into this round?'
    });
  });
  return `demo workspace loaded: ${MOLECULES.length} molecules and the library “${DEMO_LIBRARY_NAME}”, shared with Synthara CRO`;
}
