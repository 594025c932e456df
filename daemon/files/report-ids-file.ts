// <dataDir>/report-ids.bloom (mode 0600): the report id filter saved at a graceful shutdown,
// taken back by the next start and deleted either way (domain/reports/report-ids.ts says why).
import { saveWhole, takeFile } from './synced-file.ts';
import type { ReportIdFilter } from '../domain/reports/report-ids.ts';

export const REPORT_IDS_FILE = 'report-ids.bloom';

type Cover = { satelliteId: string; reportSeq: number };

/** Takes the saved filter back when it covers this store; deletes the file either way. */
export async function restoreReportIds(filter: ReportIdFilter, file: string, cover: Cover): Promise<boolean> {
  const bytes = await takeFile(file);
  return bytes !== null && filter.restore(bytes, cover);
}

/** Saves a ready filter, synced, for the next start; false when it was not ready. */
export async function saveReportIds(filter: ReportIdFilter, file: string, cover: Cover): Promise<boolean> {
  return saveWhole(file, filter.serialize(cover));
}
