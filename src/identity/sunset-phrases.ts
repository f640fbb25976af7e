import { channelName, type IdentityLanguage } from './phrases.ts';

/**
 * The texts of a sunset campaign, in English, French, Spanish and Portuguese: the notice sent inside
 * the 24-hour window (as free text), its reminders, and the answer given on the closed channel after
 * the date. Outside the window the operator's approved template carries the notice instead.
 */

const NOTICE: Record<
  IdentityLanguage,
  { first: string; reminder: string; closed: string; code: string; export: string }
> = {
  en: {
    first:
      'Important: we are closing our {channel} conversation on {date}. To keep talking with us and keep your history, continue on:',
    reminder: 'Reminder: our {channel} conversation closes on {date}. You have not moved yet; continue on:',
    closed: 'This {channel} conversation closed on {date}. We are still here, with your history, on:',
    code: 'Or send "LINK {code}" there (your personal code).',
    export: 'To download your conversation history, send "my history".',
  },
  fr: {
    first:
      'Important : nous fermons notre conversation {channel} le {date}. Pour continuer à échanger avec nous et garder votre historique, continuez sur :',
    reminder:
      "Rappel : notre conversation {channel} ferme le {date}. Vous n'avez pas encore changé ; continuez sur :",
    closed:
      'Cette conversation {channel} a fermé le {date}. Nous sommes toujours là, avec votre historique, sur :',
    code: 'Ou envoyez « LINK {code} » là-bas (votre code personnel).',
    export: 'Pour télécharger votre historique, envoyez « mon historique ».',
  },
  es: {
    first:
      'Importante: cerramos nuestra conversación de {channel} el {date}. Para seguir hablando con nosotros y conservar tu historial, continúa en:',
    reminder:
      'Recordatorio: nuestra conversación de {channel} cierra el {date}. Aún no te has cambiado; continúa en:',
    closed: 'Esta conversación de {channel} cerró el {date}. Seguimos aquí, con tu historial, en:',
    code: 'O envía «LINK {code}» allí (tu código personal).',
    export: 'Para descargar tu historial, envía «mi historial».',
  },
  pt: {
    first:
      'Importante: vamos encerrar nossa conversa no {channel} em {date}. Para continuar falando com a gente e manter seu histórico, continue em:',
    reminder: 'Lembrete: nossa conversa no {channel} encerra em {date}. Você ainda não mudou; continue em:',
    closed: 'Esta conversa no {channel} foi encerrada em {date}. Continuamos aqui, com seu histórico, em:',
    code: 'Ou envie "LINK {code}" lá (seu código pessoal).',
    export: 'Para baixar seu histórico, envie "meu histórico".',
  },
};

const LOCALES: Record<IdentityLanguage, string> = { en: 'en-GB', fr: 'fr-FR', es: 'es-ES', pt: 'pt-BR' };

/** The date as people read it in their language (`22 November 2026`, `22 novembre 2026`…), in UTC. */
export function sunsetDate(language: IdentityLanguage, at: number): string {
  return new Intl.DateTimeFormat(LOCALES[language], { dateStyle: 'long', timeZone: 'UTC' }).format(at);
}

export function sunsetText(
  language: IdentityLanguage,
  kind: 'first' | 'reminder' | 'closed',
  v: { channel: string; sunsetAt: number; code: string; links: { channel: string; url: string }[] },
): string {
  const t = NOTICE[language];
  const fill = (s: string) =>
    s
      .replace('{channel}', channelName(language, v.channel))
      .replace('{date}', sunsetDate(language, v.sunsetAt))
      .replace('{code}', v.code);
  return [
    fill(t[kind]),
    ...v.links.map((l) => `• ${channelName(language, l.channel)}: ${l.url}`),
    fill(t.code),
    t.export,
  ].join('\n');
}
