import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('migrated database', () => {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });

  beforeAll(async () => {
    expect(process.env.DATABASE_URL, 'global setup sets DATABASE_URL').toMatch(/^postgres(ql)?:\/\//);
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
  });

  it('answers select 1', async () => {
    const { rows } = await client.query('select 1 as one');
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('has the users table', async () => {
    const { rows } = await client.query(
      `select 1 from information_schema.tables where table_schema = 'public' and table_name = 'users'`
    );
    expect(rows).toHaveLength(1);
  });
});
