import type { LanguageId } from '../config/schema.js';
import type { Language } from './types.js';

/** Lazily load a language's publish code (keeps `version` start-up light). */
export async function loadLanguage(id: LanguageId): Promise<Language> {
  switch (id) {
    case 'go':
      return (await import('./go/index.js')).goLanguage;
    case 'ts':
      return (await import('./ts/index.js')).tsLanguage;
    case 'python':
      return (await import('./python/index.js')).pythonLanguage;
  }
}
