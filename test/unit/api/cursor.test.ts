import { decodeCursor, encodeCursor } from '../../../src/api/cursor';

test('a cursor gives back the position it was made from', () => {
  const position = { teamId: 'T1', bucket: 'acme-data-lake' };

  expect(decodeCursor(encodeCursor(position))).toEqual(position);
});

test('a cursor naming a team id that could not be a store key is not one of ours', () => {
  const cursor = Buffer.from(JSON.stringify(['T{1}', 'acme-data-lake'])).toString('base64url');

  expect(decodeCursor(cursor)).toBeUndefined();
});
