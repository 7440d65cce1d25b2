// The vocabulary of the search benchmark's letters: real words of German administrative letters,
// most frequent first, then compounds built from real stems (Bau + genehmigung…) as the long tail.
// Words are drawn with a Zipf-like (log-uniform rank) distribution, so the first words ("Antrag",
// "Bescheid", "Stadt") occur in most letters and the compounds at the end in a few per thousand.

/** The head of the distribution, in rank order. */
export const HEAD = [
  'Stadt', 'Antrag', 'Bescheid', 'Straße', 'Verwaltung', 'Frist', 'Genehmigung', 'Unterlagen', 'Gebühr', 'Bürger',
  'Anlage', 'Schreiben', 'Verfahren', 'Eingang', 'Prüfung', 'Entscheidung', 'Grundstück', 'Nachweis', 'Auskunft', 'Termin',
  'Widerspruch', 'Zustimmung', 'Anhörung', 'Mitteilung', 'Bearbeitung', 'Zahlung', 'Rechnung', 'Formular', 'Vorgang', 'Akte',
  'Anschrift', 'Behörde', 'Ordnungsamt', 'Bauamt', 'Sozialamt', 'Einwohner', 'Meldebehörde', 'Gewerbe', 'Anmeldung', 'Abmeldung',
  'Erlaubnis', 'Satzung', 'Beschluss', 'Rat', 'Ausschuss', 'Haushalt', 'Förderung', 'Zuschuss', 'Kosten', 'Betrag',
  'Konto', 'Überweisung', 'Mahnung', 'Säumnis', 'Verwarnung', 'Bußgeld', 'Anordnung', 'Auflage', 'Bedingung', 'Verlängerung',
  'Baugenehmigung', 'Bauantrag', 'Bebauungsplan', 'Flurstück', 'Gemarkung', 'Eigentümer', 'Mieter', 'Wohnung', 'Gebäude', 'Garage',
  'Parkplatz', 'Parkerleichterung', 'Schwerbehinderung', 'Ausweis', 'Reisepass', 'Personalausweis', 'Führerschein', 'Fahrzeug', 'Zulassung', 'Kennzeichen',
  'Sperrmüll', 'Abholung', 'Elektroschrott', 'Abfall', 'Müllabfuhr', 'Grünschnitt', 'Baum', 'Fällung', 'Spielplatz', 'Schule',
  'Kindergarten', 'Betreuung', 'Elternbeitrag', 'Jugendamt', 'Unterhalt', 'Vormundschaft', 'Standesamt', 'Eheschließung', 'Geburt', 'Sterbefall',
  'Friedhof', 'Grabstelle', 'Nutzungsrecht', 'Brandschutz', 'Feuerwehr', 'Rettungsdienst', 'Veranstaltung', 'Markt', 'Sondernutzung', 'Gaststätte',
  'Imbiss', 'Ausschank', 'Lärmschutz', 'Ruhestörung', 'Beschwerde', 'Hinweis', 'Petition', 'Anfrage', 'Stellungnahme', 'Gutachten',
  'Vermessung', 'Lageplan', 'Bauzeichnung', 'Statik', 'Abnahme', 'Schlussabnahme', 'Nutzungsänderung', 'Abriss', 'Denkmalschutz', 'Sanierung',
];

const STEMS = [
  'Bau', 'Gewerbe', 'Wohn', 'Grund', 'Park', 'Verkehrs', 'Abfall', 'Wasser', 'Kanal', 'Straßen', 'Schul', 'Kinder', 'Jugend', 'Sozial',
  'Miet', 'Steuer', 'Gebühren', 'Haushalts', 'Personal', 'Melde', 'Pass', 'Ordnungs', 'Feuerwehr', 'Friedhofs', 'Markt', 'Sport', 'Kultur',
  'Denkmal', 'Umwelt', 'Natur', 'Lärm', 'Licht', 'Energie', 'Wärme', 'Strom', 'Gas', 'Brücken', 'Radweg', 'Bus', 'Spiel', 'Garten', 'Wald',
  'Hunde', 'Vereins', 'Zuschuss', 'Förder', 'Vergabe', 'Vertrags', 'Pacht', 'Erbbau', 'Kauf', 'Tausch', 'Flur', 'Kataster', 'Vermessungs',
  'Hochwasser', 'Regen', 'Schnee', 'Winter', 'Sommer', 'Fest', 'Wahl', 'Rats', 'Bürger', 'Senioren', 'Integrations', 'Flüchtlings', 'Pflege',
];
const TAILS = [
  'antrag', 'bescheid', 'genehmigung', 'anmeldung', 'abmeldung', 'ummeldung', 'erlaubnis', 'gebühr', 'satzung', 'verordnung', 'planung',
  'prüfung', 'abnahme', 'anzeige', 'beschwerde', 'widerspruch', 'vertrag', 'kündigung', 'rechnung', 'mahnung', 'zahlung', 'förderung',
  'auskunft', 'bescheinigung', 'nachweis', 'konzept', 'gutachten', 'protokoll', 'niederschrift', 'vorlage', 'beschluss', 'stellungnahme',
  'ausschreibung', 'vergabe', 'abrechnung', 'erstattung', 'kostenschätzung', 'besichtigung', 'kontrolle', 'meldung', 'registrierung',
  'verlängerung', 'änderung', 'befreiung', 'ermäßigung', 'stundung', 'festsetzung', 'veranlagung', 'zuweisung', 'überprüfung', 'freigabe',
  'sperrung', 'umleitung', 'beleuchtung', 'reinigung', 'unterhaltung', 'sanierung', 'erweiterung', 'nutzung', 'verwaltung', 'ordnung',
];

/**
 * HEAD, then stem + tail compounds (about 4 000), then stem + stem + tail compounds up to `size`
 * words, in rank order: the long tail where the rare words live.
 */
export function vocabulary(size = 100_000): string[] {
  const seen = new Set(HEAD.map((w) => w.toLowerCase()));
  const out = [...HEAD];
  // Interleave stems so that no stem's compounds cluster at one end of the tail.
  for (const tail of TAILS) {
    for (const stem of STEMS) {
      const word = stem + tail;
      if (!seen.has(word.toLowerCase())) {
        seen.add(word.toLowerCase());
        out.push(word);
      }
    }
  }
  for (const tail of TAILS) {
    for (const first of STEMS) {
      for (const second of STEMS) {
        if (out.length >= size) return out;
        if (first !== second) out.push(first + second.toLowerCase() + tail);
      }
    }
  }
  return out;
}

export const SURNAMES = [
  'Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Schäfer', 'Koch', 'Bauer',
  'Richter', 'Klein', 'Wolf', 'Schröder', 'Neumann', 'Schwarz', 'Zimmermann', 'Braun', 'Krüger', 'Hofmann', 'Hartmann', 'Lange',
  'Schmitt', 'Werner', 'Schmitz', 'Krause', 'Meier', 'Lehmann', 'Schmid', 'Schulze', 'Maier', 'Köhler', 'Herrmann', 'König', 'Walter',
  'Mayer', 'Huber', 'Kaiser', 'Fuchs', 'Peters', 'Lang', 'Scholz', 'Möller', 'Weiß', 'Jung', 'Hahn', 'Schubert', 'Vogel', 'Friedrich',
  'Keller', 'Günther', 'Frank', 'Berger', 'Winkler', 'Roth', 'Beck', 'Lorenz', 'Baumann', 'Franke', 'Albrecht', 'Schuster', 'Simon',
  'Ludwig', 'Böhm', 'Winter', 'Kraus', 'Martin', 'Schumacher', 'Krämer', 'Vogt', 'Stein', 'Jäger', 'Otto', 'Sommer', 'Groß', 'Seidel',
];
export const FIRST_NAMES = ['Anna', 'Hans', 'Maria', 'Peter', 'Ursula', 'Klaus', 'Monika', 'Jürgen', 'Sabine', 'Thomas', 'Petra', 'Michael', 'Ayşe', 'Mehmet', 'Lena', 'Jonas'];
