import type { types } from '@slack/bolt';

/** Every way a message or modal breaks Slack's documented limits; empty when within them. */
export function blockKitViolations(
  surface: { blocks: types.KnownBlock[] | types.Block[] } & Partial<types.ModalView>,
  kind: 'message' | 'modal',
): string[] {
  const problems: string[] = [];
  const maxBlocks = kind === 'modal' ? 100 : 50;
  if (surface.blocks.length > maxBlocks)
    problems.push(`${surface.blocks.length} blocks > ${maxBlocks}`);
  if (kind === 'modal') {
    for (const field of ['title', 'submit', 'close'] as const) {
      const text = surface[field]?.text;
      if (text && text.length > 24) problems.push(`${field} "${text}" > 24 characters`);
    }
    if ((surface.private_metadata ?? '').length > 3000) problems.push('private_metadata > 3000');
  }
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((child, i) => visit(child, `${path}[${i}]`));
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    if (record.type === 'section') {
      const text = (record.text as { text?: string } | undefined)?.text ?? '';
      if (text.length > 3000) problems.push(`${path} section text ${text.length} > 3000`);
      const fields = (record.fields as { text: string }[] | undefined) ?? [];
      if (fields.length > 10) problems.push(`${path} has ${fields.length} fields > 10`);
      fields.forEach((f, i) => {
        if (f.text.length > 2000) problems.push(`${path}.fields[${i}] > 2000`);
      });
    }
    if (
      record.type === 'button' &&
      typeof record.value === 'string' &&
      record.value.length > 2000
    ) {
      problems.push(`${path} button value > 2000`);
    }
    if (
      record.type === 'static_select' &&
      Array.isArray(record.options) &&
      record.options.length > 100
    ) {
      problems.push(`${path} has ${record.options.length} options > 100`);
    }
    if (typeof record.block_id === 'string' && record.block_id.length > 255)
      problems.push(`${path} block_id > 255`);
    Object.entries(record).forEach(([key, child]) => visit(child, `${path}.${key}`));
  };
  visit(surface.blocks, 'blocks');
  return problems;
}
