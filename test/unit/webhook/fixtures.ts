import { readFileSync } from 'fs';
import { join } from 'path';

export const FIXTURES_DIR = '/work/shared/fixtures/dataverse-webhook';
export const fixtureBytes = (name: string): Buffer => readFileSync(join(FIXTURES_DIR, name));
