// Sample submissions of Hattingen's four online services, as the portal sends them (prefilled
// from the citizen's BundID account). Used by examples/portal.mjs and test/api/online-services.test.ts.

export const SERVICE_KEYS = {
  gewerbe: '99050012104000',
  sperrmuell: '99108008000000',
  parkerleichterung: '99036020000000',
  schwerbehindertenausweis: '99107004001000',
};

/** The plan units the services are filed under (Hattingen, and the Kreis for the ID card). */
export const PLAN_UNITS: Record<'hattingen' | 'en-kreis', { code: string; title: string; retentionYears: number | null; disposal: 'A' | 'B' | 'V' }[]> = {
  hattingen: [
    { code: '32', title: 'Öffentliche Sicherheit und Ordnung', retentionYears: null, disposal: 'A' },
    { code: '32.10', title: 'Gewerbeangelegenheiten', retentionYears: 10, disposal: 'B' },
    { code: '32.10.01', title: 'Gewerbeanzeigen', retentionYears: 10, disposal: 'B' },
    { code: '32.30', title: 'Straßenverkehr', retentionYears: 10, disposal: 'V' },
    { code: '32.30.05', title: 'Parkerleichterungen', retentionYears: 6, disposal: 'V' },
    { code: '70', title: 'Stadtreinigung, Abfall', retentionYears: null, disposal: 'A' },
    { code: '70.20', title: 'Abfallentsorgung', retentionYears: 5, disposal: 'V' },
    { code: '70.20.01', title: 'Sperrmüll und Elektroschrott', retentionYears: 2, disposal: 'V' },
  ],
  'en-kreis': [
    { code: '50', title: 'Soziales', retentionYears: null, disposal: 'A' },
    { code: '50.30', title: 'Schwerbehindertenrecht', retentionYears: 30, disposal: 'B' },
    { code: '50.30.01', title: 'Feststellungen nach SGB IX', retentionYears: 30, disposal: 'B' },
  ],
};

const anschrift = { strasse: 'Heggerstraße', hausnummer: '12', plz: '45525', ort: 'Hattingen' };

export function gewerbe(name = 'Bäckerei Yılmaz') {
  return {
    anzeigeart: 'anmeldung',
    rechtsform: 'einzelunternehmen',
    inhaber: { familienname: 'Yılmaz', vornamen: 'Aylin', geburtsdatum: '1988-04-02', geburtsort: 'Bochum', staatsangehoerigkeit: 'deutsch', anschrift },
    betrieb: { geschaeftsbezeichnung: name, anschrift: { ...anschrift, hausnummer: '3' }, telefon: '02324 12345' },
    taetigkeit: 'Herstellung und Verkauf von Backwaren, Ausschank alkoholfreier Getränke',
    beginn: '2026-12-15',
    art: 'handwerk',
    nebenerwerb: false,
    beschaeftigte: { vollzeit: 2, teilzeit: 3 },
  };
}

export function sperrmuell() {
  return {
    art: 'beides',
    abholadresse: anschrift,
    stellplatz: 'Vor dem Haus am Gehweg',
    gegenstaende: [{ bezeichnung: 'Sofa', anzahl: 1 }, { bezeichnung: 'Kühlschrank', anzahl: 1 }],
    volumenKubikmeter: 2.5,
    wunschtermin: '2026-12-20',
  };
}

export function parkerleichterung() {
  return {
    antragsteller: { familienname: 'Schulte', vornamen: 'Heinz', geburtsdatum: '1951-09-30', anschrift },
    ausweis: { aktenzeichen: 'EN-SB-2019-4711', gdb: 80, merkzeichen: ['G', 'B'], gueltigBis: '2029-12-31' },
    voraussetzung: 'G-und-B-gdb80-beine',
    kennzeichen: 'EN-HS 51',
  };
}

export function schwerbehindertenausweis() {
  return {
    antragsart: 'erstantrag',
    person: { familienname: 'Kowalski', vornamen: 'Marta', geburtsdatum: '1979-01-17', anschrift },
    gesundheitsstoerungen: [{ bezeichnung: 'Diabetes mellitus Typ 1', seit: '2001-05-01' }, { bezeichnung: 'Polyneuropathie' }],
    behandelnde: [{ name: 'Dr. med. Brandt', fachrichtung: 'Innere Medizin', anschrift: { strasse: 'Bahnhofstraße', hausnummer: '5', plz: '45525', ort: 'Hattingen' } }],
    merkzeichenBeantragt: ['G'],
    schweigepflichtentbindung: true,
  };
}

/** A submission's metadata around its form data. */
export function submission(serviceKey: string, formData: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    serviceKey,
    submissionId: `HAT-${serviceKey.slice(-6)}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    submittedAt: new Date().toISOString(),
    applicant: { name: 'Aylin Yılmaz', email: 'aylin.yilmaz@example.org' },
    formData,
    ...extra,
  };
}
