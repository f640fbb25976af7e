/** The messaging channels Passerelle speaks. Each has a folder under `src/channels/`. */
export const CHANNELS = ['whatsapp', 'telegram', 'webchat'] as const;
export type ChannelName = (typeof CHANNELS)[number];

/**
 * How a channel names one person. Provider ids are data, not keys of our model: a WhatsApp user may
 * have a phone number (`waId`), a business-scoped user id (`userId`, spec §1.7), or both; `address` is
 * the one we reply to (the phone number when known, else the BSUID).
 */
export interface ContactAddress {
  channel: ChannelName;
  address: string;
  waId?: string;
  userId?: string;
  username?: string;
  countryCode?: string;
  displayName?: string;
}
