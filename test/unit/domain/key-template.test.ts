import {
  DEFAULT_KEY_TEMPLATE,
  FORBIDDEN_CHARACTERS,
  FORMAT_ENDINGS,
  MAX_KEY_TEMPLATE_LENGTH,
  OPTIONAL_ELEMENTS,
  REQUIRED_ELEMENTS,
  SAMPLE_LOAD_VALUES,
  SLACK_UNSAFE_CHARACTERS,
  keyTemplateProblems,
  parseKeyTemplate,
  previewKey,
  renderKey,
  type LoadValues,
} from '../../../src/domain/key-template';

const REQUIRED = '[integration_name][table_name][table_version][timestamp_loaded]';

/** A valid template padded with text to exactly `length` characters. */
const templateOfLength = (length: number) => REQUIRED + 'x'.repeat(length - REQUIRED.length);

describe('key template constants', () => {
  it('match the reference product', () => {
    expect({
      REQUIRED_ELEMENTS,
      OPTIONAL_ELEMENTS,
      DEFAULT_KEY_TEMPLATE,
      MAX_KEY_TEMPLATE_LENGTH,
      FORBIDDEN_CHARACTERS,
      SLACK_UNSAFE_CHARACTERS,
      FORMAT_ENDINGS,
    }).toEqual({
      REQUIRED_ELEMENTS: ['integration_name', 'table_name', 'table_version', 'timestamp_loaded'],
      OPTIONAL_ELEMENTS: ['year_loaded', 'month_loaded', 'day_loaded', 'hour_loaded'],
      DEFAULT_KEY_TEMPLATE: '[integration_name]/[table_name]/[table_version]_[timestamp_loaded]',
      MAX_KEY_TEMPLATE_LENGTH: 500,
      FORBIDDEN_CHARACTERS: ['!', '@', '#', '$', '%', '^', '&', '*', ' '],
      SLACK_UNSAFE_CHARACTERS: ['`', '<', '>', '|', '\\', '{', '}', '"', '~'],
      FORMAT_ENDINGS: ['.csv', '.jsonl', '.json'],
    });
  });
});

describe('parseKeyTemplate', () => {
  it.each([
    ['an empty template', '', []],
    ['plain text', 'exports/', [{ kind: 'text', text: 'exports/' }]],
    [
      'the default template',
      DEFAULT_KEY_TEMPLATE,
      [
        { kind: 'element', name: 'integration_name' },
        { kind: 'text', text: '/' },
        { kind: 'element', name: 'table_name' },
        { kind: 'text', text: '/' },
        { kind: 'element', name: 'table_version' },
        { kind: 'text', text: '_' },
        { kind: 'element', name: 'timestamp_loaded' },
      ],
    ],
    [
      'text around an optional element',
      'raw/[year_loaded]/end',
      [
        { kind: 'text', text: 'raw/' },
        { kind: 'element', name: 'year_loaded' },
        { kind: 'text', text: '/end' },
      ],
    ],
    ['an unknown element', '[schema_name]', [{ kind: 'unknown', name: 'schema_name' }]],
    ['an empty element', '[]', [{ kind: 'unknown', name: '' }]],
    ['a differently cased element', '[Table_Name]', [{ kind: 'unknown', name: 'Table_Name' }]],
    [
      'an opening bracket without a partner, kept as text',
      '[[table_name]',
      [
        { kind: 'text', text: '[' },
        { kind: 'element', name: 'table_name' },
      ],
    ],
    ['a closing bracket without a partner, kept as text', 'a]b', [{ kind: 'text', text: 'a]b' }]],
  ])('parses %s', (_case, template, expected) => {
    const parts = parseKeyTemplate(template);

    expect(parts).toEqual(expected);
  });
});

describe('keyTemplateProblems', () => {
  it.each([
    ['the default template', DEFAULT_KEY_TEMPLATE],
    [
      'required elements in another order',
      '[timestamp_loaded]-[table_version]/[table_name]/[integration_name]',
    ],
    ['a required element used twice', `${DEFAULT_KEY_TEMPLATE}/[table_name]`],
    [
      'every optional element and text',
      'raw/[year_loaded]/[month_loaded]/[day_loaded]/[hour_loaded]/' + DEFAULT_KEY_TEMPLATE,
    ],
    ['exactly 500 characters', templateOfLength(500)],
    ['other punctuation S3 keys allow', 'a.b-c_d(e)=f+g,h;' + REQUIRED],
    ['a format name inside the template', `csv/json.jsonl/${REQUIRED}`],
    ['a format name at the end without its dot', `${REQUIRED}_csv`],
    ['a single trailing "/"', `${REQUIRED}/`],
  ])('accepts %s', (_case, template) => {
    const problems = keyTemplateProblems(template);

    expect(problems).toEqual([]);
  });

  it.each([
    [
      'an empty template',
      '',
      [
        'Enter a key template, such as [integration_name]/[table_name]/[table_version]_[timestamp_loaded]',
      ],
    ],
    [
      'a missing required element',
      '[integration_name]/[table_name]/[timestamp_loaded]',
      ['Add [table_version]: every key needs it.'],
    ],
    [
      'several missing required elements, each by name',
      '[table_name]',
      [
        'Add [integration_name]: every key needs it.',
        'Add [table_version]: every key needs it.',
        'Add [timestamp_loaded]: every key needs it.',
      ],
    ],
    [
      '501 characters',
      templateOfLength(501),
      ['The template is 501 characters long; the limit is 500.'],
    ],
    [
      'an unknown element',
      `${REQUIRED}/[schema_name]`,
      [
        '[schema_name] is not a known element: use one of [integration_name] [table_name] [table_version] [timestamp_loaded] [year_loaded] [month_loaded] [day_loaded] [hour_loaded].',
      ],
    ],
    [
      'a misspelt element, with the element it resembles',
      `${REQUIRED}/[Year-Loaded]`,
      ['[Year-Loaded] is not a known element: did you mean [year_loaded]?'],
    ],
    [
      'an opening bracket without a closing one',
      `${REQUIRED}/[year_loaded`,
      ['"[" at position 65 has no closing "]".'],
    ],
    [
      'a closing bracket without an opening one',
      `${REQUIRED}/year_loaded]`,
      ['"]" at position 76 has no opening "[".'],
    ],
    ['a space', `${REQUIRED} x`, ['The space at position 64 is not allowed.']],
    ['several spaces', ` ${REQUIRED} x `, ['The spaces at positions 1, 65, 67 are not allowed.']],
    ['"#" twice', `${REQUIRED}#a#`, ['"#" at positions 64, 66 are not allowed.']],
  ])('rejects %s', (_case, template, expected) => {
    const problems = keyTemplateProblems(template);

    expect(problems).toEqual(expected);
  });

  it.each(FORBIDDEN_CHARACTERS.filter((character) => character !== ' '))(
    'rejects "%s" and says where it is',
    (character) => {
      const problems = keyTemplateProblems(`exports/${character}${REQUIRED}`);

      expect(problems).toEqual([`"${character}" at position 9 is not allowed.`]);
    },
  );

  it.each([
    [
      'a tab',
      `${REQUIRED}\tx`,
      ['The tab at position 64 is not allowed: keys cannot contain whitespace.'],
    ],
    [
      'a trailing newline',
      `${REQUIRED}\n`,
      ['The line break at position 64 is not allowed: keys cannot contain whitespace.'],
    ],
    [
      'a Windows line break, as two',
      `${REQUIRED}\r\n`,
      ['The line breaks at positions 64, 65 are not allowed: keys cannot contain whitespace.'],
    ],
    [
      'a no-break space',
      `a\u00a0b/${REQUIRED}`,
      ['The no-break space at position 2 is not allowed: keys cannot contain whitespace.'],
    ],
    [
      'a zero-width space',
      `${REQUIRED}\u200b`,
      ['The zero-width space at position 64 is not allowed: keys cannot contain whitespace.'],
    ],
    [
      'other Unicode spaces, each by code point',
      `\u2003${REQUIRED}\u3000\u2003`,
      [
        'The Unicode spaces U+2003 at positions 1, 66 are not allowed: keys cannot contain whitespace.',
        'The Unicode space U+3000 at position 65 is not allowed: keys cannot contain whitespace.',
      ],
    ],
    [
      'several Slack-unsafe characters, each named once',
      `{${REQUIRED}}~{`,
      [
        'The characters { } ~ are not allowed: Amazon S3 advises against them in keys, and they break Slack formatting.',
      ],
    ],
    [
      'a leading "/"',
      `/${REQUIRED}`,
      ['Remove the leading "/": it would put every key under a folder with no name.'],
    ],
    [
      'an empty path segment',
      `a//${REQUIRED}`,
      ['"//" at position 2 is not allowed: it makes a folder with no name. Use a single "/".'],
    ],
    [
      'empty path segments, a run of slashes counting once',
      `a///b//${REQUIRED}`,
      ['"//" at positions 2, 6 are not allowed: it makes a folder with no name. Use a single "/".'],
    ],
    [
      'a leading "//", as both problems',
      `//${REQUIRED}`,
      [
        'Remove the leading "/": it would put every key under a folder with no name.',
        '"//" at position 1 is not allowed: it makes a folder with no name. Use a single "/".',
      ],
    ],
    [
      'a ".csv" ending',
      `${REQUIRED}.csv`,
      ['Remove ".csv" from the end: the extension is added by the format.'],
    ],
    [
      'a ".jsonl" ending, in capitals, as typed',
      `${REQUIRED}.JSONL`,
      ['Remove ".JSONL" from the end: the extension is added by the format.'],
    ],
    [
      'a ".json" ending',
      `${REQUIRED}.Json`,
      ['Remove ".Json" from the end: the extension is added by the format.'],
    ],
  ])('rejects %s', (_case, template, expected) => {
    const problems = keyTemplateProblems(template);

    expect(problems).toEqual(expected);
  });

  it.each(SLACK_UNSAFE_CHARACTERS)('rejects "%s", naming it', (character) => {
    const problems = keyTemplateProblems(`exports${character}/${REQUIRED}`);

    expect(problems).toEqual([
      `The character ${character} is not allowed: Amazon S3 advises against it in keys, and it breaks Slack formatting.`,
    ]);
  });

  it('rejects a template that carries a Slack link', () => {
    const problems = keyTemplateProblems(
      `${DEFAULT_KEY_TEMPLATE}\`<https://evil.example/fix|Re-verify your bucket>\``,
    );

    expect(problems).toEqual([
      'The spaces at positions 103, 108 are not allowed.',
      'The characters ` < | > are not allowed: Amazon S3 advises against them in keys, and they break Slack formatting.',
      '"//" at position 75 is not allowed: it makes a folder with no name. Use a single "/".',
    ]);
  });

  it('keeps every message short enough to read inline in the modal', () => {
    const everything = `//\t\u00a0\u2003${[...FORBIDDEN_CHARACTERS, ...SLACK_UNSAFE_CHARACTERS].join('')}a//b.jsonl`;

    const problems = keyTemplateProblems(everything);

    expect(problems.length).toBeGreaterThan(10);
    for (const problem of problems) expect(problem.length).toBeLessThanOrEqual(150);
  });

  it('counts positions in characters as the user sees them', () => {
    const problems = keyTemplateProblems(`📦/#${REQUIRED}`);

    expect(problems).toEqual(['"#" at position 3 is not allowed.']);
  });

  it('reports every problem at once', () => {
    const problems = keyTemplateProblems('[table_name] #x[foo]');

    expect(problems).toEqual([
      'Add [integration_name]: every key needs it.',
      'Add [table_version]: every key needs it.',
      'Add [timestamp_loaded]: every key needs it.',
      expect.stringMatching(/^\[foo\] is not a known element/),
      'The space at position 13 is not allowed.',
      '"#" at position 14 is not allowed.',
    ]);
  });
});

describe('renderKey', () => {
  const values: LoadValues = {
    integrationName: 'hubspot',
    tableName: 'contacts',
    tableVersion: '7',
    timestampLoaded: Date.UTC(2024, 0, 5, 3, 4, 5, 6),
  };

  it.each([
    [
      'the default template as CSV',
      DEFAULT_KEY_TEMPLATE,
      'csv',
      'hubspot/contacts/7_1704423845006.csv',
    ],
    [
      'the default template as JSON Lines',
      DEFAULT_KEY_TEMPLATE,
      'jsonl',
      'hubspot/contacts/7_1704423845006.jsonl',
    ],
    [
      'zero-padded date elements in UTC',
      '[year_loaded]/[month_loaded]/[day_loaded]/[hour_loaded]',
      'csv',
      '2024/01/05/03.csv',
    ],
    ['a repeated element', '[table_name]-[table_name]', 'jsonl', 'contacts-contacts.jsonl'],
    ['plain text only', 'static', 'csv', 'static.csv'],
    ['an unknown element, verbatim', '[table_name]/[schema]', 'csv', 'contacts/[schema].csv'],
  ] as const)('renders %s', (_case, template, format, expected) => {
    const key = renderKey(template, format, values);

    expect(key).toBe(expected);
  });

  it('renders the reference product’s example', () => {
    const key = renderKey(DEFAULT_KEY_TEMPLATE, 'csv', SAMPLE_LOAD_VALUES);

    expect(key).toBe('salesforce-prod/account/1_1519235654474.csv');
  });
});

describe('previewKey', () => {
  it.each([
    [DEFAULT_KEY_TEMPLATE, 'csv', 'salesforce-prod/account/1_1519235654474.csv'],
    [DEFAULT_KEY_TEMPLATE, 'jsonl', 'salesforce-prod/account/1_1519235654474.jsonl'],
    [
      '[integration_name]/[year_loaded]/[month_loaded]/[day_loaded]/[hour_loaded]/[table_name]_[table_version]_[timestamp_loaded]',
      'jsonl',
      'salesforce-prod/2018/02/21/17/account_1_1519235654474.jsonl',
    ],
  ] as const)('renders %s as %s with the sample load', (template, format, expected) => {
    const key = previewKey(template, format);

    expect(key).toBe(expected);
  });
});
