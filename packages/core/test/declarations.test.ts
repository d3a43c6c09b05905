// Consumers' tsc reads the published declarations (without skipLibCheck, it checks them too), so every package they
// import has to resolve from the consumer's install: each bare import in the public .d.ts files (those reachable from
// a package's dist/index.d.ts) must be a dependency of that package, imported by its name — no `pkg/dist/…` paths,
// which TypeScript emits for inferred types of classes a dependency does not export (as tfjs's layer classes) — and
// none may be tfjs-layers' (directly or through the @tensorflow/tfjs union), whose declarations fail `tsc --strict`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const PACKAGES = ['native', 'core', 'data', 'models', 'cli'];
/** Packages whose declarations do not compile under `strict` (tensorflow/tfjs#1341); core/src/layer-types.ts stands in. */
const NOT_STRICT = new Set(['@tensorflow/tfjs', '@tensorflow/tfjs-layers']);

/** Every project's emitted files, built from the sources into memory (dist/ on disk may be stale and is left alone). */
function buildInMemory(): Map<string, string> {
  const outputs = new Map<string, string>();
  const host = ts.createSolutionBuilderHost(ts.sys);
  const { readFile, fileExists } = host;
  host.writeFile = (path, text) => void outputs.set(resolve(path), text);
  host.readFile = (path) => outputs.get(resolve(path)) ?? readFile(path);
  host.fileExists = (path) => outputs.has(resolve(path)) || fileExists(path);
  const status = ts.createSolutionBuilder(host, [join(root, 'tsconfig.json')], { force: true }).build();
  if (status !== ts.ExitStatus.Success) throw new Error(`the in-memory build failed (exit status ${status})`);
  return outputs;
}

/** The module specifiers a declaration file imports, re-exports, names in `import("…")` types or references. */
function specifiers(path: string, text: string): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest);
  const found = file.typeReferenceDirectives.map((ref) => ref.fileName);
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** Problems with the bare imports of package `name`'s public declarations, as `file: specifier (why)`. */
function publicImportProblems(outputs: Map<string, string>, name: string): string[] {
  const dir = join(root, 'packages', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const dependencies = new Set(Object.keys(pkg.dependencies ?? {}));
  const problems: string[] = [];
  const seen = new Set<string>();
  const queue = [join(dir, 'dist/index.d.ts')];
  for (let file = queue.pop(); file != null; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    // Hand-written declarations shipped beside plain JS outside dist/ (@dl/data's tokenizer/tokenizer.d.ts) are read as they are.
    const text = outputs.get(file) ?? (!file.includes('/dist/') && existsSync(file) ? readFileSync(file, 'utf8') : undefined);
    if (text == null) throw new Error(`no declarations emitted for ${relative(root, file)}`);
    for (const spec of specifiers(file, text)) {
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec.replace(/\.js$/, '.d.ts')));
      else if (!spec.startsWith('node:')) {
        const packageName = spec
          .split('/')
          .slice(0, spec.startsWith('@') ? 2 : 1)
          .join('/');
        const where = `${relative(root, file)}: ${spec}`;
        const typesPackage = `@types/${packageName.replace(/^@([^/]+)\//, '$1__')}`; // its types may come from @types
        if (NOT_STRICT.has(packageName)) problems.push(`${where} (its declarations fail a consumer's tsc --strict)`);
        else if (!dependencies.has(packageName) && !dependencies.has(typesPackage))
          problems.push(`${where} (not a dependency of @dl/${name})`);
        else if (spec !== packageName) problems.push(`${where} (a path inside the package)`);
      }
    }
  }
  return problems;
}

describe('published declarations', () => {
  it("import only their package's dependencies, by package name, and nothing of tfjs-layers", () => {
    const outputs = buildInMemory();
    expect(PACKAGES.flatMap((name) => publicImportProblems(outputs, name))).toEqual([]);
  });
});
