/** 'YYYY-MM-DD' ↔ Date at UTC midnight, as PostgreSQL `date` columns travel through Prisma. */
export const parseDate = (value: string): Date => new Date(`${value}T00:00:00.000Z`);
export const formatDate = (value: Date): string => value.toISOString().slice(0, 10);
export const optionalDate = (value: string | null | undefined): Date | null | undefined =>
  value === undefined ? undefined : value === null ? null : parseDate(value);
export const formatOptionalDate = (value: Date | null): string | null => (value ? formatDate(value) : null);
/** Today's date in UTC as 'YYYY-MM-DD'. */
export const today = (): string => new Date().toISOString().slice(0, 10);
