// Reports an import that closes a circle between modules of src/, type-only imports included:
// import-x/no-cycle skips those, yet a circle of types is still two modules that cannot be
// understood, moved or tested one without the other (Deps and the Slack listeners were one).
// The graph is read from disk with TypeScript's own module resolution, once per ESLint process.
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const OPTIONS = { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 };
const graphs = new Map();

function sourceFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [file] : [];
  });
}

/** Each module's imports of other modules under `root`, by absolute path. */
function importGraph(root) {
  const host = ts.createCompilerHost(OPTIONS);
  const graph = new Map();
  for (const file of sourceFiles(root)) {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles.flatMap(({ fileName }) => {
      const resolved = ts.resolveModuleName(fileName, file, OPTIONS, host).resolvedModule;
      const target = resolved && path.resolve(resolved.resolvedFileName);
      return target && target.startsWith(root + path.sep) && !target.endsWith('.d.ts')
        ? [target]
        : [];
    });
    graph.set(file, new Set(targets));
  }
  return graph;
}

/** The module's strongly connected group (Tarjan): every module it reaches that reaches it. */
function circleGroups(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const groupOf = new Map();
  let next = 0;
  const visit = (node) => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node), low.get(target)));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node), index.get(target)));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const group = new Set();
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      group.add(member);
    } while (member !== node);
    for (const each of group) groupOf.set(each, group);
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return groupOf;
}

function groupsUnder(root) {
  if (!graphs.has(root)) {
    const graph = importGraph(root);
    graphs.set(root, { graph, groupOf: circleGroups(graph) });
  }
  return graphs.get(root);
}

module.exports = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid import circles between modules, type-only imports included' },
    schema: [
      {
        type: 'object',
        properties: { root: { type: 'string' } },
        required: ['root'],
        additionalProperties: false,
      },
    ],
    messages: {
      circle:
        'This import closes a circle: {{target}} leads back here ({{size}} modules in the circle).',
    },
  },
  create(context) {
    const root = path.resolve(context.options[0].root);
    const file = path.resolve(context.filename);
    if (!file.startsWith(root + path.sep)) return {};
    const { graph, groupOf } = groupsUnder(root);
    const group = groupOf.get(file);
    if (!group || group.size < 2) return {};
    const host = ts.createCompilerHost(OPTIONS);
    const check = (node) => {
      if (!node.source || typeof node.source.value !== 'string') return;
      const resolved = ts.resolveModuleName(node.source.value, file, OPTIONS, host).resolvedModule;
      const target = resolved && path.resolve(resolved.resolvedFileName);
      if (!target || !group.has(target) || !graph.get(file)?.has(target)) return;
      context.report({
        node,
        messageId: 'circle',
        data: { target: path.relative(root, target), size: String(group.size) },
      });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
    };
  },
};
