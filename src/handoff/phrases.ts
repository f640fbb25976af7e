/** What the person is told when an agent joins or leaves, in en, fr, es, pt (others: English). */
const TEXT = {
  en: {
    joined: '{name} from our team has joined the conversation and will answer you here.',
    released: 'You are back with our virtual assistant. Ask for a person any time if you need one.',
  },
  fr: {
    joined: '{name}, de notre équipe, a rejoint la conversation et vous répond ici.',
    released:
      'Vous êtes de nouveau avec notre assistant virtuel. Demandez une personne à tout moment si besoin.',
  },
  es: {
    joined: '{name}, de nuestro equipo, se ha unido a la conversación y te responderá aquí.',
    released:
      'Vuelves a estar con nuestro asistente virtual. Pide hablar con una persona cuando lo necesites.',
  },
  pt: {
    joined: '{name}, da nossa equipe, entrou na conversa e vai responder você aqui.',
    released:
      'Você está de volta com nosso assistente virtual. Peça para falar com uma pessoa quando precisar.',
  },
} as const;

export function handoffNotice(
  kind: 'joined' | 'released',
  language: string | null | undefined,
  name: string,
): string {
  const l = (language ?? 'en').slice(0, 2).toLowerCase();
  const t = l in TEXT ? TEXT[l as keyof typeof TEXT] : TEXT.en;
  return t[kind].replace('{name}', name);
}
