import { WEBHOOK_FIXTURES_DIR, webhookFixture } from '../../helpers/fixtures';

export const FIXTURES_DIR = WEBHOOK_FIXTURES_DIR;
export const fixtureBytes = (name: string): Buffer => webhookFixture(name);
