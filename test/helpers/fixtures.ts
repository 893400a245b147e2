/** The real Dataverse webhook payloads in test/fixtures/dataverse-webhook (sources in its README). */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Resolved from this file, so the tests find the fixtures wherever the checkout lives. */
export const WEBHOOK_FIXTURES_DIR = path.join(__dirname, '../fixtures/dataverse-webhook');

/** One fixture's raw bytes, exactly as published. */
export const webhookFixture = (name: string): Buffer => readFileSync(path.join(WEBHOOK_FIXTURES_DIR, name));
