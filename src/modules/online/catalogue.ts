/**
 * The online services Hattingen has offered since 2017, as shipped in every fresh database (switched
 * off until the town has the plan unit and turns them on). The form schemas follow the real forms:
 * the Gewerbeanzeige the fields of GewAnzV Anlage 1–3, the others the paper forms of the town and
 * of the Kreis (Versorgungsamt). Service keys are in LeiKa's 14-digit form.
 */

type JsonSchema = Record<string, unknown>;

const text = (maxLength: number, title: string, extra: JsonSchema = {}) => ({ type: 'string', minLength: 1, maxLength, title, ...extra });
const date = (title: string) => ({ type: 'string', format: 'date', maxLength: 10, title });
const address = (title: string) => ({
  type: 'object',
  title,
  additionalProperties: false,
  required: ['strasse', 'hausnummer', 'plz', 'ort'],
  properties: {
    strasse: text(100, 'Straße'),
    hausnummer: text(10, 'Hausnummer'),
    plz: { type: 'string', pattern: '^[0-9]{5}$', maxLength: 5, title: 'Postleitzahl' },
    ort: text(100, 'Ort'),
  },
});
const person = (title: string) => ({
  type: 'object',
  title,
  additionalProperties: false,
  required: ['familienname', 'vornamen', 'geburtsdatum', 'anschrift'],
  properties: {
    familienname: text(100, 'Familienname'),
    vornamen: text(100, 'Vornamen'),
    geburtsname: text(100, 'Geburtsname'),
    geburtsdatum: date('Geburtsdatum'),
    geburtsort: text(100, 'Geburtsort'),
    staatsangehoerigkeit: text(60, 'Staatsangehörigkeit'),
    anschrift: address('Anschrift'),
    telefon: text(30, 'Telefon', { pattern: '^[0-9 +()/-]+$' }),
    email: { type: 'string', format: 'email', maxLength: 200, title: 'E-Mail' },
  },
});
const MERKZEICHEN = ['G', 'aG', 'B', 'H', 'Bl', 'TBl', 'Gl', 'RF'];

/** Gewerbeanzeige (GewAnzV): Anmeldung, Ummeldung, Abmeldung in one form, as in Anlagen 1–3. */
export const GEWERBE_SCHEMA: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Gewerbeanzeige',
  type: 'object',
  additionalProperties: false,
  required: ['anzeigeart', 'rechtsform', 'inhaber', 'betrieb', 'taetigkeit', 'beginn'],
  properties: {
    anzeigeart: { type: 'string', enum: ['anmeldung', 'ummeldung', 'abmeldung'], title: 'Art der Anzeige' },
    rechtsform: { type: 'string', enum: ['einzelunternehmen', 'gbr', 'ohg', 'kg', 'gmbh', 'ug', 'ag', 'eg', 'sonstige'], title: 'Rechtsform (Feld 1)' },
    registereintrag: {
      type: 'object', title: 'Handels-, Genossenschafts- oder Vereinsregister (Feld 2)', additionalProperties: false,
      required: ['gericht', 'nummer'],
      properties: { gericht: text(100, 'Registergericht'), nummer: text(30, 'Registernummer') },
    },
    inhaber: person('Angaben zur Person (Felder 3–10)'),
    betrieb: {
      type: 'object', title: 'Angaben zum Betrieb (Felder 11–14)', additionalProperties: false,
      required: ['anschrift'],
      properties: {
        geschaeftsbezeichnung: text(200, 'Geschäftsbezeichnung'),
        anschrift: address('Betriebsstätte'),
        telefon: text(30, 'Telefon', { pattern: '^[0-9 +()/-]+$' }),
        email: { type: 'string', format: 'email', maxLength: 200, title: 'E-Mail' },
      },
    },
    taetigkeit: text(1000, 'Angemeldete Tätigkeit (Feld 15)'),
    beginn: date('Datum des Beginns der Tätigkeit (Feld 16)'),
    art: { type: 'string', enum: ['industrie', 'handwerk', 'handel', 'sonstiges'], title: 'Art des angemeldeten Betriebs (Feld 17)' },
    nebenerwerb: { type: 'boolean', title: 'Im Nebenerwerb (Feld 18)' },
    beschaeftigte: {
      type: 'object', title: 'Zahl der Beschäftigten (Feld 19)', additionalProperties: false,
      properties: {
        vollzeit: { type: 'integer', minimum: 0, maximum: 100000, title: 'Vollzeit' },
        teilzeit: { type: 'integer', minimum: 0, maximum: 100000, title: 'Teilzeit' },
      },
    },
    erlaubnis: { type: 'boolean', title: 'Erlaubnispflichtig, Erlaubnis liegt vor (Feld 27)' },
    abmeldung: {
      type: 'object', title: 'Abmeldung (GewAnzV Anlage 3)', additionalProperties: false,
      required: ['aufgabeAm', 'grund'],
      properties: {
        aufgabeAm: date('Datum der Betriebsaufgabe'),
        grund: { type: 'string', enum: ['wirtschaftlich', 'alter', 'krankheit', 'umzug', 'sonstiges'], title: 'Grund' },
      },
    },
  },
  // An Abmeldung names when and why the business ends.
  if: { properties: { anzeigeart: { const: 'abmeldung' } } },
  then: { required: ['abmeldung'] },
};

export const SPERRMUELL_SCHEMA: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Anmeldung Sperrmüll / Elektroschrott',
  type: 'object',
  additionalProperties: false,
  required: ['art', 'abholadresse', 'gegenstaende'],
  properties: {
    art: { type: 'string', enum: ['sperrmuell', 'elektroschrott', 'beides'], title: 'Was soll abgeholt werden' },
    abholadresse: address('Abholadresse'),
    stellplatz: text(300, 'Wo stehen die Gegenstände'),
    gegenstaende: {
      type: 'array', title: 'Gegenstände', minItems: 1, maxItems: 30,
      items: {
        type: 'object', additionalProperties: false, required: ['bezeichnung', 'anzahl'],
        properties: {
          bezeichnung: text(100, 'Bezeichnung'),
          anzahl: { type: 'integer', minimum: 1, maximum: 50, title: 'Anzahl' },
        },
      },
    },
    volumenKubikmeter: { type: 'number', exclusiveMinimum: 0, maximum: 5, title: 'Menge in m³ (höchstens 5)' },
    wunschtermin: date('Wunschtermin'),
    telefon: text(30, 'Telefon für Rückfragen', { pattern: '^[0-9 +()/-]+$' }),
  },
};

export const PARKERLEICHTERUNG_SCHEMA: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Antrag auf Parkerleichterung für schwerbehinderte Menschen',
  type: 'object',
  additionalProperties: false,
  required: ['antragsteller', 'ausweis', 'voraussetzung'],
  properties: {
    antragsteller: person('Antragstellerin / Antragsteller'),
    ausweis: {
      type: 'object', title: 'Schwerbehindertenausweis', additionalProperties: false,
      required: ['aktenzeichen', 'gdb', 'merkzeichen', 'gueltigBis'],
      properties: {
        aktenzeichen: text(40, 'Aktenzeichen des Versorgungsamts'),
        gdb: { type: 'integer', minimum: 20, maximum: 100, multipleOf: 10, title: 'Grad der Behinderung' },
        merkzeichen: { type: 'array', maxItems: 8, uniqueItems: true, items: { type: 'string', enum: MERKZEICHEN }, title: 'Merkzeichen' },
        gueltigBis: date('Gültig bis'),
      },
    },
    // Parkerleichterung (not the blue EU card): the groups of the NRW decree.
    voraussetzung: {
      type: 'string', title: 'Voraussetzung',
      enum: ['G-und-B-gdb80-beine', 'G-und-B-gdb70-beine-herz', 'morbus-crohn-colitis-gdb60', 'stoma-gdb70'],
    },
    kennzeichen: text(12, 'Kfz-Kennzeichen', { pattern: '^[A-ZÄÖÜ]{1,3}-[A-Z]{1,2} ?[0-9]{1,4}[EH]?$' }),
  },
};

export const SCHWERBEHINDERTENAUSWEIS_SCHEMA: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Antrag nach dem SGB IX (Feststellung der Behinderung, Schwerbehindertenausweis)',
  type: 'object',
  additionalProperties: false,
  required: ['antragsart', 'person', 'gesundheitsstoerungen', 'schweigepflichtentbindung'],
  properties: {
    antragsart: { type: 'string', enum: ['erstantrag', 'aenderung', 'verlaengerung'], title: 'Antragsart' },
    bisherigesAktenzeichen: text(40, 'Bisheriges Aktenzeichen'),
    person: person('Antragstellerin / Antragsteller'),
    gesundheitsstoerungen: {
      type: 'array', title: 'Gesundheitsstörungen', minItems: 1, maxItems: 20,
      items: {
        type: 'object', additionalProperties: false, required: ['bezeichnung'],
        properties: { bezeichnung: text(300, 'Bezeichnung'), seit: date('Seit') },
      },
    },
    behandelnde: {
      type: 'array', title: 'Behandelnde Ärztinnen, Ärzte, Kliniken', maxItems: 20,
      items: {
        type: 'object', additionalProperties: false, required: ['name', 'anschrift'],
        properties: { name: text(200, 'Name'), fachrichtung: text(100, 'Fachrichtung'), anschrift: address('Anschrift') },
      },
    },
    merkzeichenBeantragt: { type: 'array', maxItems: 8, uniqueItems: true, items: { type: 'string', enum: MERKZEICHEN }, title: 'Beantragte Merkzeichen' },
    schweigepflichtentbindung: { const: true, title: 'Entbindung von der Schweigepflicht' },
  },
  if: { properties: { antragsart: { enum: ['aenderung', 'verlaengerung'] } } },
  then: { required: ['bisherigesAktenzeichen'] },
};

export interface ServiceDefinition {
  serviceKey: string;
  title: string;
  formSchema: JsonSchema;
  planCode: string;
  filing: 'file-per-applicant' | 'case-in-running-file';
  runningFileTitle: string | null;
  caseTitle: string;
  paymentRequired: boolean;
  competentTenant: string | null;
}

export const GEWERBE = '99050012104000';
export const SPERRMUELL = '99108008000000';
export const PARKERLEICHTERUNG = '99036020000000';
export const SCHWERBEHINDERTENAUSWEIS = '99107004001000';

const hattingen: ServiceDefinition[] = [
  {
    serviceKey: GEWERBE, title: 'Gewerbeanzeige (An-, Um-, Abmeldung)', formSchema: GEWERBE_SCHEMA,
    planCode: '32.10.01', filing: 'case-in-running-file', runningFileTitle: 'Gewerbeanzeigen {yyyy}',
    caseTitle: 'Gewerbe-{anzeigeart}: {betrieb.geschaeftsbezeichnung|inhaber.familienname}', paymentRequired: true, competentTenant: null,
  },
  {
    serviceKey: SPERRMUELL, title: 'Sperrmüll- und Elektroschrottabholung', formSchema: SPERRMUELL_SCHEMA,
    planCode: '70.20.01', filing: 'case-in-running-file', runningFileTitle: 'Sperrmüll- und Elektroschrottabholung {yyyy}',
    caseTitle: 'Abholung {art}: {abholadresse.strasse} {abholadresse.hausnummer}', paymentRequired: false, competentTenant: null,
  },
  {
    serviceKey: PARKERLEICHTERUNG, title: 'Parkerleichterung für schwerbehinderte Menschen', formSchema: PARKERLEICHTERUNG_SCHEMA,
    planCode: '32.30.05', filing: 'file-per-applicant', runningFileTitle: null,
    caseTitle: 'Parkerleichterung {antragsteller.familienname}, {antragsteller.vornamen}', paymentRequired: false, competentTenant: null,
  },
  {
    serviceKey: SCHWERBEHINDERTENAUSWEIS, title: 'Schwerbehindertenausweis (Feststellung nach SGB IX)', formSchema: SCHWERBEHINDERTENAUSWEIS_SCHEMA,
    planCode: '50.30.01', filing: 'file-per-applicant', runningFileTitle: null,
    caseTitle: 'SGB IX {antragsart}: {person.familienname}, {person.vornamen}', paymentRequired: false, competentTenant: 'en-kreis',
  },
];

/** The seed catalogue, by tenant: Hattingen's four services; the Kreis decides the disability ID card. */
export const SEED_SERVICES: Record<string, ServiceDefinition[]> = {
  hattingen,
  'en-kreis': [{ ...hattingen[3]!, competentTenant: null }],
};
