// exceljs's streaming workbook writer on its own (the module behind
// `ExcelJS.stream.xlsx.WorkbookWriter` in the pinned 4.4.0), imported alone to keep memory low.
declare module 'exceljs/lib/stream/xlsx/workbook-writer.js' {
  import type ExcelJS from 'exceljs';
  const WorkbookWriter: typeof ExcelJS.stream.xlsx.WorkbookWriter;
  export default WorkbookWriter;
}
