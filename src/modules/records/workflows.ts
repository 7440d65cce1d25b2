import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { RequestContext } from '../../core/index.js';
import type { Versioned } from '../../lib/reply.js';
import type { RecordFile } from './schemas/files.js';
import type { DestructionRecord, PlaceHold, RetentionOverride } from './schemas/lifecycle.js';
import type { StoredVersion } from './service/versions.js';

/**
 * The commands of the records routes that span more than one step or component. src/workflows/
 * implements them (each in one unit of work); the routes only know these shapes.
 */
export interface RecordWorkflows {
  /** Closes a file (zdA), with its open cases when `closeOpenCases` is set, in one unit. */
  closeFile(ctx: RequestContext, fileId: string, ifMatch: string | undefined, input: { closedOn?: string; closeOpenCases?: boolean }): Promise<Versioned<RecordFile>>;
  /** Adds a version: record the upload, stream it to storage while hashing, commit or discard. */
  addVersion(ctx: RequestContext, documentId: string, ifMatch: string | undefined, content: IncomingContent): Promise<StoredVersion>;
  /** Decides how to answer a content download (304, 200, 206, or 307 to storage), records the read and opens the stream. */
  serveContent(ctx: RequestContext, documentId: string, number: number, conditions: ContentConditions): Promise<ContentAnswer>;
  /**
   * One tus request on a document's resumable uploads (creation, HEAD, PATCH, DELETE), authorised as
   * POST …/versions; the completed upload becomes a version through addVersion. Absent without S3.
   */
  resumableUpload?(ctx: RequestContext, documentId: string, req: IncomingMessage, res: ServerResponse): Promise<ResumableAnswer>;
  /** Overrides a closed file's retention; a longer one extends the object locks. */
  overrideRetention(ctx: RequestContext, fileId: string, ifMatch: string | undefined, input: RetentionOverride): Promise<Versioned<RecordFile>>;
  /** Puts a legal hold on a file and an object legal hold on every version of it, in one unit. */
  placeHold(ctx: RequestContext, fileId: string, ifMatch: string | undefined, input: PlaceHold): Promise<Versioned<RecordFile>>;
  /** Lifts a file's hold, then the object legal holds of its versions. */
  liftHold(ctx: RequestContext, fileId: string, ifMatch: string | undefined): Promise<Versioned<RecordFile>>;
  /** Destroys a file: checks, tombstone, destruction record, then removes the content objects. */
  destroyFile(ctx: RequestContext, fileId: string, ifMatch: string | undefined, input: { reason?: string }): Promise<DestructionRecord>;
}

export interface IncomingContent {
  body: AsyncIterable<Uint8Array>;
  mediaType: string;
  filename: string;
  /** Hex SHA-256 from Content-Digest, verified after streaming. */
  expectedSha256?: string;
  checkin: boolean;
}

/** The tus server's answer, for the route to send (errors are thrown as problems). */
export interface ResumableAnswer {
  status: number;
  headers: Record<string, string>;
}

export interface ContentConditions {
  range?: string;
  ifRange?: string;
  ifNoneMatch?: string;
  /** The client's wish (`?redirect=`): true asks for a redirect to storage, false declines it. */
  redirect?: boolean;
}

export interface ContentAnswer {
  /** 307: a redirect (Location) to a short-lived presigned storage URL. */
  status: 200 | 206 | 304 | 307;
  headers: Record<string, string | number>;
  /** The bytes (absent for 304). */
  body?: Readable;
}
