import { performance } from 'node:perf_hooks';
import { xmlElements } from '../src/verify/s3-xml';
import { hostileListing } from '../test/support/fixtures';
import type { Verdict } from './report';

/** The longest a hostile answer of the listing's size bound may hold the event loop. */
const TARGET_MS = 20;
const RUNS = 5;

/** The answers timed: the hostile one, and a well-formed listing of as many bytes. */
const SHAPES = {
  hostile: hostileListing,
  'well-formed': (kilobytes: number) => {
    const element = '<Contents><Key>k</Key><Size>0</Size></Contents>';
    const repeats = Math.floor((kilobytes * 1024 - 38) / element.length);
    return `<ListBucketResult>${element.repeat(repeats)}</ListBucketResult>`;
  },
} as const;

export interface XmlFigure {
  readonly shape: keyof typeof SHAPES;
  readonly kilobytes: number;
  /** The median time of one read of the answer's `<Contents>` elements. */
  readonly ms: number;
  /** What the read found: elements, or none when it refused the answer as not XML. */
  readonly found: string;
}

/** The one-key listing's XML read (verify/s3-xml.ts) of answers of each size, of each shape. */
export function measureXml(sizes: readonly number[]): XmlFigure[] {
  return (Object.keys(SHAPES) as (keyof typeof SHAPES)[]).flatMap((shape) =>
    sizes.map((kilobytes) => {
      const body = SHAPES[shape](kilobytes);
      const times: number[] = [];
      let found: string[] | undefined;
      for (let run = 0; run < RUNS; run++) {
        const started = performance.now();
        found = xmlElements(body, 'Contents');
        times.push(performance.now() - started);
      }
      const ms = times.sort((x, y) => x - y)[Math.floor(RUNS / 2)];
      return {
        shape,
        kilobytes,
        ms,
        found: found === undefined ? 'refused as not XML' : `${found.length} elements`,
      };
    }),
  );
}

export function xmlLines(figures: readonly XmlFigure[]): string[] {
  return [
    `The one-key listing's XML read (the median of ${RUNS} reads in this process) of a hostile answer`,
    '  (<ListBucketResult>, then "<Contents " repeated, never finished) and of a well-formed listing',
    '  of as many bytes (<Contents><Key>k</Key><Size>0</Size></Contents> repeated):',
    ...figures.map(
      (figure) =>
        `  ${figure.shape.padEnd(11)} ${String(figure.kilobytes).padStart(4)} KB: ` +
        `${figure.ms.toFixed(3)} ms (${figure.found})`,
    ),
  ];
}

export function xmlVerdicts(figures: readonly XmlFigure[]): Verdict[] {
  const hostile = figures.filter((figure) => figure.shape === 'hostile');
  const largest = hostile[hostile.length - 1];
  if (!largest) return [];
  return [
    {
      figure: `listing XML read, ${largest.kilobytes} KB hostile answer`,
      measured: `${largest.ms.toFixed(2)} ms`,
      target: `≤ ${TARGET_MS} ms`,
      met: largest.ms <= TARGET_MS,
    },
  ];
}
