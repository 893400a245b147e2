/**
 * Roots for the operator commands (`dvsync deadletters / failures / circuits`). A command runs with only the
 * settings it uses (listing failures needs a storage account, not Dataverse environments or routes), so
 * only those sections are validated; the clients are the root's own (same settings, same construction).
 */
import { loadSettings, SETTINGS_SECTIONS, type Env, type SettingsSection } from '../config/settings';
import { AppRoot } from './root';

export function operatorRoot(env: Env, uses: readonly SettingsSection[]): AppRoot {
  return new AppRoot({ settings: loadSettings(env, { unused: SETTINGS_SECTIONS.filter((s) => !uses.includes(s)) }) });
}
