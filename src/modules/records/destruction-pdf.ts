import { PDFDocument, StandardFonts, type PDFFont } from 'pdf-lib';
import type { DestructionRecord } from './schemas/lifecycle.js';

/** WinAnsi (the standard fonts' encoding) covers German text; anything else prints as '?'. */
const printable = (font: PDFFont, text: string) =>
  [...text].map((ch) => {
    try {
      font.encodeText(ch);
      return ch;
    } catch {
      return '?';
    }
  }).join('');

/**
 * The destruction record (Löschprotokoll) as a one-page PDF/A-like document: every field of the
 * JSON record, rendered with a standard font (no embedded files, no scripts). Deterministic for a
 * record: the creation date is the destruction time.
 */
export async function destructionPdf(record: DestructionRecord, tenant: string): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const at = new Date(record.destroyedAt);
  doc.setTitle(`Löschprotokoll ${record.reference}`);
  doc.setSubject(`Vernichtung der Akte ${record.reference}`);
  doc.setAuthor('EN-Akte');
  doc.setProducer('EN-Akte');
  doc.setCreator('EN-Akte');
  doc.setCreationDate(at);
  doc.setModificationDate(at);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const page = doc.addPage([595.28, 841.89]); // A4
  let y = 790;
  const line = (label: string, value: string | number | boolean | null) => {
    page.drawText(printable(bold, label), { x: 50, y, size: 10, font: bold });
    const text = value === null ? '-' : String(value);
    // Long values wrap at ~70 characters.
    const chunks = text.match(/.{1,70}/gu) ?? [''];
    for (const chunk of chunks) {
      page.drawText(printable(font, chunk), { x: 220, y, size: 10, font });
      y -= 15;
    }
  };
  page.drawText('Löschprotokoll', { x: 50, y, size: 18, font: bold });
  y -= 22;
  page.drawText(printable(font, `Mandant ${tenant} · EN-Akte`), { x: 50, y, size: 10, font });
  y -= 30;
  line('Aktenzeichen', record.reference);
  line('Akte (Id)', record.fileId);
  line('Aktenplaneinheit', `${record.planCode} (${record.planUnitId})`);
  line('Angelegt', record.createdAt);
  line('zdA verfügt', record.closedOn);
  line('Aussonderungsart', record.disposalCode);
  line('Aufbewahrung (Jahre)', record.retentionYears === null ? 'dauernd' : record.retentionYears);
  line('Aufbewahrungsende', record.retentionEndsOn);
  line('Bewertung des Archivs', record.decision === 'A' ? 'A (übernehmen)' : record.decision === 'V' ? 'V (vernichten)' : null);
  line('Bewertet von', record.decidedBy);
  line('Bewertet am', record.decidedAt);
  line('Archivsignatur', record.archiveReference);
  line('Begründung', record.reason);
  line('Vernichtet: Vorgänge', record.destroyed.cases);
  line('Vernichtet: Dokumente', record.destroyed.documents);
  line('Vernichtet: Versionen', record.destroyed.versions);
  line('Vernichtet: Bytes', record.destroyed.bytes);
  line('GOVERNANCE-Sperre umgangen', record.destroyed.governanceBypassed ? 'ja' : 'nein');
  line('Vernichtet von', record.destroyedBy);
  line('Vernichtet am', record.destroyedAt);
  line('Protokolleintrag Nr.', record.audit.seq);
  line('Protokolleintrag SHA-256', record.audit.hash);
  line('Protokoll-Id', record.id);
  return doc.save({ useObjectStreams: false });
}
