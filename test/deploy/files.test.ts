import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigSchema, loadConfig } from '../../src/config.ts';

/**
 * There is no Docker engine or systemd to run the packaging in tests: these read the Dockerfile and the
 * unit for what they must contain, and check what `npm ci --omit=dev` relies on (every package the
 * code imports at run time is a production dependency).
 */

const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions per stage: continuations joined, comments dropped. */
function dockerStages(text: string): Instruction[][] {
  const logical = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const stages: Instruction[][] = [[]];
  for (const line of logical) {
    const [, op, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    const ins = { op: op!.toUpperCase(), args: args!.replace(/\s+/g, ' ') };
    if (ins.op === 'FROM') stages.push([]);
    stages.at(-1)!.push(ins);
  }
  return stages;
}

/** A systemd unit as section → key → values (a key may repeat). */
function unitFile(text: string): Record<string, Record<string, string[]>> {
  const sections: Record<string, Record<string, string[]>> = {};
  let current: Record<string, string[]> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) sections[section[1]!] = current = {};
    else {
      const i = line.indexOf('=');
      (current[line.slice(0, i)] ??= []).push(line.slice(i + 1));
    }
  }
  return sections;
}

/** `KEY=value` lines of an environment file. */
function envFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory()
      ? sourceFiles(path)
      : /\.(ts|js)$/.test(name)
        ? [path]
        : [];
  });
}

describe('Dockerfile', () => {
  const stages = dockerStages(read('Dockerfile'));
  const [preamble, build, compile, runtime] = stages as [
    Instruction[],
    Instruction[],
    Instruction[],
    Instruction[],
  ];
  const has = (stage: Instruction[], op: string, args: RegExp | string) =>
    stage.some((i) => i.op === op && (typeof args === 'string' ? i.args === args : args.test(i.args)));

  it('builds in three stages from node:20-bookworm-slim: dependencies, compiled sources, runtime', () => {
    expect(stages).toHaveLength(4);
    expect(preamble).toContainEqual({ op: 'ARG', args: 'NODE_IMAGE=node:20-bookworm-slim' });
    expect(build[0]).toEqual({ op: 'FROM', args: '${NODE_IMAGE} AS deps' });
    expect(compile[0]).toEqual({ op: 'FROM', args: '${NODE_IMAGE} AS build' });
    expect(runtime[0]).toEqual({ op: 'FROM', args: '${NODE_IMAGE}' });
  });

  it('compiles the sources in their own stage and copies dist/ after src/ (newer: it runs)', () => {
    expect(has(compile, 'RUN', /npm ci --ignore-scripts/)).toBe(true);
    expect(has(compile, 'COPY', 'tsconfig.json tsconfig.build.json ./')).toBe(true);
    expect(has(compile, 'RUN', 'npm run build')).toBe(true);
    const src = runtime.findIndex((i) => i.op === 'COPY' && i.args === 'src ./src');
    const dist = runtime.findIndex((i) => i.op === 'COPY' && i.args === '--from=build /app/dist ./dist');
    expect(src).toBeGreaterThan(0);
    expect(dist).toBeGreaterThan(src);
  });

  it('installs the compiler for better-sqlite3 and the production dependencies in the build stage only', () => {
    expect(has(build, 'RUN', /apt-get install .*python3 make g\+\+/)).toBe(true);
    expect(has(build, 'RUN', /npm ci --omit=dev/)).toBe(true);
    expect(has(build, 'COPY', 'package.json package-lock.json ./')).toBe(true);
    expect(runtime.some((i) => /apt-get|g\+\+|npm (ci|install)/.test(i.args))).toBe(false);
    expect(has(runtime, 'COPY', '--from=deps /app/node_modules ./node_modules')).toBe(true);
  });

  it('copies what the process reads at run time, and those paths exist', () => {
    const copied = runtime
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(' ').slice(0, -1));
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'tsconfig.json', 'bin', 'src', 'kb']));
    for (const path of copied) expect(existsSync(join(ROOT, path)), path).toBe(true);
    expect(existsSync(join(ROOT, 'kb/sample'))).toBe(true); // SAMPLE_KB, the default knowledge base
  });

  it('runs as a non-root user with /data as a volume, port 8080, a health check and `start`', () => {
    const user = runtime.filter((i) => i.op === 'USER').at(-1);
    expect(user?.args).toBe('passerelle');
    expect(runtime.findIndex((i) => i.op === 'USER')).toBeLessThan(runtime.findIndex((i) => i.op === 'CMD'));
    expect(has(runtime, 'RUN', /useradd --system .*passerelle/)).toBe(true);
    expect(has(runtime, 'VOLUME', '["/data"]')).toBe(true);
    expect(has(runtime, 'EXPOSE', '8080')).toBe(true);
    expect(has(runtime, 'ENV', /\bHOST=0\.0\.0\.0\b/)).toBe(true);
    expect(has(runtime, 'ENV', /\bDATABASE_URL=sqlite:\/data\/passerelle\.db\b/)).toBe(true);
    expect(has(runtime, 'HEALTHCHECK', /--timeout=5s .*CMD .*\/healthz/)).toBe(true);
    expect(runtime.at(-1)).toEqual({ op: 'CMD', args: '["node", "bin/passerelle.js", "start"]' });
  });

  it('keeps secrets and development files out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(
      expect.arrayContaining([
        'node_modules',
        '.git',
        'data',
        'test',
        '**/.env',
        '**/passerelle.config.json',
      ]),
    );
    for (const needed of ['src', 'bin', 'kb', 'package.json', 'package-lock.json', 'tsconfig.json'])
      expect(ignored).not.toContain(needed);
  });
});

describe('npm ci --omit=dev', () => {
  const pkg = JSON.parse(read('package.json')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    bin: Record<string, string>;
  };

  it('keeps tsx, which bin/passerelle.js loads the TypeScript sources with', () => {
    expect(pkg.bin.passerelle).toBe('bin/passerelle.js');
    expect(read('bin/passerelle.js')).toContain("import('tsx/esm/api')"); // when dist/ is absent or stale
    expect(pkg.dependencies.tsx).toBeDefined();
  });

  it('keeps every package the code imports at run time (type-only imports aside)', () => {
    const imported = new Set<string>();
    for (const file of [...sourceFiles('src'), ...sourceFiles('bin')]) {
      for (const m of read(file).matchAll(/^import (?!type )[^;]*?from '([^'.][^']*)';/gms)) {
        const spec = m[1]!;
        if (spec.startsWith('node:')) continue;
        imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    expect(imported.size).toBeGreaterThan(10);
    const missing = [...imported].filter((p) => !pkg.dependencies[p]);
    expect(missing).toEqual([]);
  });
});

describe('deploy/passerelle.service', () => {
  const unit = unitFile(read('deploy/passerelle.service'));
  const service = unit.Service!;
  const one = (key: string) => {
    expect(service[key], key).toHaveLength(1);
    return service[key]![0]!;
  };

  it('runs migrate, then start, as a dedicated user, with the environment file', () => {
    expect(one('User')).toBe('passerelle');
    expect(one('EnvironmentFile')).toBe('/etc/passerelle/passerelle.env');
    expect(one('ExecStartPre')).toMatch(/^\/usr\/bin\/node \S+\/bin\/passerelle\.js migrate$/);
    expect(one('ExecStart')).toMatch(/^\/usr\/bin\/node \S+\/bin\/passerelle\.js start$/);
    expect(one('Restart')).toBe('on-failure');
    expect(unit.Install?.WantedBy).toEqual(['multi-user.target']);
    expect(unit.Unit?.After).toContain('network-online.target');
  });

  it('gives the graceful shutdown more time than SHUTDOWN_TIMEOUT_MS before SIGKILL', () => {
    const stopMs = Number(/^(\d+)s$/.exec(one('TimeoutStopSec'))![1]) * 1000;
    expect(stopMs).toBeGreaterThan(ConfigSchema.shape.SHUTDOWN_TIMEOUT_MS.parse(undefined));
    const example = envFile(read('deploy/passerelle.env.example'));
    expect(stopMs).toBeGreaterThan(Number(example.SHUTDOWN_TIMEOUT_MS));
  });

  it('is hardened, writing only to the data directory the database lives in', () => {
    for (const [key, value] of Object.entries({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      PrivateTmp: 'yes',
      ProtectHome: 'yes',
      PrivateDevices: 'yes',
      RestrictSUIDSGID: 'yes',
      CapabilityBoundingSet: '',
    }))
      expect(one(key), key).toBe(value);
    expect(service.MemoryDenyWriteExecute).toBeUndefined(); // V8's JIT needs it off
    const dataDir = one('ReadWritePaths');
    expect(dataDir).toBe(`/var/lib/${one('StateDirectory')}`);
    const example = envFile(read('deploy/passerelle.env.example'));
    expect(example.DATABASE_URL).toBe(`sqlite:${dataDir}/passerelle.db`);
  });

  it('ships an environment file example that start-up accepts', () => {
    const env = envFile(read('deploy/passerelle.env.example'));
    const config = loadConfig({ env, file: false });
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.DATABASE_URL).toBe('sqlite:/var/lib/passerelle/passerelle.db');
  });

  const analyze = '/usr/bin/systemd-analyze';
  it.skipIf(!existsSync(analyze) || !existsSync('/usr/bin/node'))('passes systemd-analyze verify', () => {
    // Throws, with systemd's complaint, on an unknown key or a bad value.
    const out = execFileSync(analyze, ['verify', '--man=no', join(ROOT, 'deploy/passerelle.service')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toBe('');
  });
});
