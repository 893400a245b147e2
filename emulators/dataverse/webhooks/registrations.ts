/** Webhook registrations as delivery sees them, read from the sdkmessageprocessingstep/… rows. */
import type { StepMode, StepStage } from './serialize';

export type AuthType = 4 | 5 | 6;
export const AUTH_TYPES: Record<AuthType, string> = { 4: 'WebhookKey', 5: 'HttpHeader', 6: 'HttpQueryString' };

export interface EndpointRegistration {
  id: string;
  name: string;
  url: string;
  authType: AuthType;
  /** WebhookKey: [['code', key]]; HttpHeader: header pairs; HttpQueryString: query pairs. */
  auth: Array<[string, string]>;
}

export interface ImageRegistration {
  id: string;
  alias: string;
  /** 0 pre, 1 post, 2 both. */
  imageType: 0 | 1 | 2;
  /** Empty: every column. */
  attributes: string[];
}

export interface StepRegistration {
  id: string;
  name: string;
  message: string;
  table: string;
  mode: StepMode;
  stage: StepStage;
  rank: number;
  /** Update only: the step fires when one of these changed; undefined = any column. */
  filteringAttributes?: string[];
  asyncAutoDelete: boolean;
  endpoint: EndpointRegistration;
  images: ImageRegistration[];
}
