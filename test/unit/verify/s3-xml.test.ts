import { xmlElements, xmlText } from '../../../src/verify/s3-xml';
import { hostileListing } from '../../support/fixtures';

describe('xmlElements', () => {
  it('reads every element of a name, empty ones too, and not those of a longer name', () => {
    const xml =
      '<R><Contents><Key>a</Key></Contents><ContentsMore>x</ContentsMore>' +
      '<Contents attr="1">\n<Key>b</Key></Contents><Contents/><Contents /></R>';

    expect(xmlElements(xml, 'Contents')).toEqual(['<Key>a</Key>', '\n<Key>b</Key>', '', '']);
    expect(xmlText('<Owner><ID/></Owner>', 'ID')).toBe('');
    expect(xmlText('<Owner></Owner>', 'ID')).toBeUndefined();
  });

  it.each([
    ['a start tag never finished', '<R><Contents <Key>a</Key></Contents></R>'],
    ['a start tag with no end', '<R><Contents attr="1"'],
    ['an element never closed', '<R><Contents><Key>a</Key></R>'],
  ])('refuses %s: no XML writer sends it', (_label, xml) => {
    expect(xmlElements(xml, 'Contents')).toBeUndefined();
  });

  it('refuses the largest hostile listing the bound lets through, and what follows it', () => {
    const genuine = '<Contents><Key>k</Key></Contents></ListBucketResult>';

    expect(xmlElements(hostileListing(256), 'Contents')).toBeUndefined();
    expect(xmlElements(hostileListing(256, genuine), 'Contents')).toBeUndefined();
  });
});
