import {
  DEFAULT_KEY_TEMPLATE,
  FORBIDDEN_CHARACTERS,
  MAX_KEY_TEMPLATE_LENGTH,
  OPTIONAL_ELEMENTS,
  REQUIRED_ELEMENTS,
  SAMPLE_LOAD_VALUES,
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
    }).toEqual({
      REQUIRED_ELEMENTS: ['integration_name', 'table_name', 'table_version', 'timestamp_loaded'],
      OPTIONAL_ELEMENTS: ['year_loaded', 'month_loaded', 'day_loaded', 'hour_loaded'],
      DEFAULT_KEY_TEMPLATE: '[integration_name]/[table_name]/[table_version]_[timestamp_loaded]',
      MAX_KEY_TEMPLATE_LENGTH: 500,
      FORBIDDEN_CHARACTERS: ['!', '@', '#', '$', '%', '^', '&', '*', ' '],
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
