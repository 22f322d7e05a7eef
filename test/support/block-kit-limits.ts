import type { types } from '@slack/bolt';

/** Every way a message or modal breaks Slack's documented limits; empty when within them. */
export function blockKitViolations(
  surface: { blocks: types.KnownBlock[] | types.Block[] } & Partial<
    Pick<types.ModalView, 'title' | 'submit' | 'close' | 'private_metadata'>
  >,
  kind: 'message' | 'modal' | 'home',
): string[] {
  const problems: string[] = [];
  const maxBlocks = kind === 'message' ? 50 : 100;
  if (kind === 'home') {
    if ((surface.private_metadata ?? '').length > 3000) problems.push('private_metadata > 3000');
    // Slack refuses a view whose JSON passes 250 kB.
    const bytes = Buffer.byteLength(JSON.stringify(surface));
    if (bytes > 250_000) problems.push(`view is ${bytes} bytes > 250 kB`);
  }
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
    if (record.type === 'header') {
      const text = (record.text as { text?: string } | undefined)?.text ?? '';
      if (text.length > 150) problems.push(`${path} header text ${text.length} > 150`);
    }
    if (record.type === 'context' && Array.isArray(record.elements) && record.elements.length > 10)
      problems.push(`${path} has ${record.elements.length} context elements > 10`);
    if (record.type === 'actions' && Array.isArray(record.elements) && record.elements.length > 25)
      problems.push(`${path} has ${record.elements.length} actions > 25`);
    if (record.type === 'button') {
      const text = (record.text as { text?: string } | undefined)?.text ?? '';
      if (text.length > 75) problems.push(`${path} button text > 75`);
      const confirm = record.confirm as
        | {
            title?: { text: string };
            text: { text: string };
            confirm?: { text: string };
            deny?: { text: string };
          }
        | undefined;
      if (confirm) {
        if ((confirm.title?.text.length ?? 0) > 100) problems.push(`${path} confirm title > 100`);
        if (confirm.text.text.length > 300) problems.push(`${path} confirm text > 300`);
        if ((confirm.confirm?.text.length ?? 0) > 30) problems.push(`${path} confirm button > 30`);
        if ((confirm.deny?.text.length ?? 0) > 30) problems.push(`${path} deny button > 30`);
      }
    }
    if (typeof record.action_id === 'string' && record.action_id.length > 255)
      problems.push(`${path} action_id > 255`);
    if (typeof record.block_id === 'string' && record.block_id.length > 255)
      problems.push(`${path} block_id > 255`);
    Object.entries(record).forEach(([key, child]) => visit(child, `${path}.${key}`));
  };
  visit(surface.blocks, 'blocks');
  return problems;
}
