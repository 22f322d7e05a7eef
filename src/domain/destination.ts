import { z } from 'zod';
import { accessSchema } from './access';

export const OUTPUT_FORMATS = ['jsonl', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The file extension a loader appends to every rendered key. */
export const FORMAT_EXTENSIONS: Readonly<Record<OutputFormat, string>> = {
  jsonl: '.jsonl',
  csv: '.csv',
};

export const FORMAT_LABELS: Readonly<Record<OutputFormat, string>> = {
  jsonl: 'JSON Lines',
  csv: 'CSV',
};

export const CSV_DELIMITERS = ['comma', 'pipe', 'tab'] as const;
export type CsvDelimiter = (typeof CSV_DELIMITERS)[number];

/** The character each delimiter name stands for in the written file. */
export const CSV_DELIMITER_CHARACTERS: Readonly<Record<CsvDelimiter, string>> = {
  comma: ',',
  pipe: '|',
  tab: '\t',
};

export const CSV_DELIMITER_LABELS: Readonly<Record<CsvDelimiter, string>> = {
  comma: 'Comma ( , )',
  pipe: 'Pipe ( | )',
  tab: 'Tab',
};

/** The settings of one S3 destination, as chosen in the setup modal. */
export const destinationSettingsSchema = z.object({
  bucket: z.string(),
  region: z.string(),
  format: z.enum(OUTPUT_FORMATS),
  csvDelimiter: z.enum(CSV_DELIMITERS),
  csvForceQuote: z.boolean(),
  keyTemplate: z.string(),
  /** How the bucket is reached; absent (values saved before roles existed): the bucket policy. */
  access: accessSchema.optional(),
});

export type DestinationSettings = z.infer<typeof destinationSettingsSchema>;

/** One line describing the storage format, e.g. "CSV, pipe-delimited, all elements quoted". */
export function describeFormat(settings: DestinationSettings): string {
  if (settings.format === 'jsonl') return FORMAT_LABELS.jsonl;
  const quoting = settings.csvForceQuote ? ', all elements quoted' : '';
  return `CSV, ${settings.csvDelimiter}-delimited${quoting}`;
}
