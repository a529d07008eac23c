import { httpBase } from '../../util/url.js';
import type { Language } from '../types.js';
import { PythonConfigSchema, type PythonConfig } from './config.js';
import { PYTHON_PUBLISH_ENV, PYTHON_SMOKE_ENV } from './env.js';
import { planPython } from './plan.js';
import type { PythonPublishDetails } from './publish.js';
import { validatePythonPackage } from './version.js';

const INSTALL_PIP = 'sudo apt-get install python3-pip';
const INSTALL_BUILD = 'sudo apt-get install python3-build python3-setuptools python3-wheel';

/** Python distributions: built with `build`, uploaded like twine does, read through a PEP 503 index. */
export const pythonLanguage: Language<PythonConfig, PythonPublishDetails, never, 'python'> = {
  id: 'python',
  title: 'Python',
  config: { schema: PythonConfigSchema, state: { file: 'python.json', configMap: 'python-packages-state', key: 'python.json' } },
  publishEnv: PYTHON_PUBLISH_ENV,
  smokeEnv: PYTHON_SMOKE_ENV,
  record: { digest: { pattern: /^sha256:[0-9a-f]{64}$/, description: 'a sha256:' }, checkPackage: validatePythonPackage },
  smokeFlags: [],
  plan: planPython,
  async publish(ctx, plan, opts) {
    return (await import('./publish.js')).publishPython(ctx, plan, opts);
  },
  async smoke(ctx, plan, outcome) {
    return (await import('./smoke.js')).smokePython(ctx, plan, outcome);
  },
  async served(ctx, record) {
    return (await import('./smoke.js')).servedPython(ctx, record);
  },
  async consume(record, env) {
    return (await import('./consume.js')).consumePython(record, env, INSTALL_PIP);
  },
  pin: {
    summary: 'a "<name>==<version>" line per package in the constraints file',
    flags: [{ key: 'constraints', flags: '--constraints <file>', description: 'python: constraints file inside --dir', defaultValue: 'constraints.txt' }],
    async plan(record, dir, flags) {
      return (await import('./pin.js')).planPythonPin(record, dir, typeof flags.constraints === 'string' ? flags.constraints : undefined);
    },
  },
  doctor: {
    probes(env) {
      const index = httpBase(env.PIP_INDEX_URL);
      return index ? [{ id: 'health.python-index', name: 'Python index', url: `${index}/`, healthy: (s: number) => s === 200, fix: 'start the index or fix PIP_INDEX_URL' }] : [];
    },
    async latestRelease(name, env) {
      return (await import('./doctor.js')).latestPythonRelease(name, env);
    },
    async sortsAfter(a, b) {
      return (await import('@renovatebot/pep440')).gt(a, b);
    },
    raiseBase: (latest) => `raise the base version above ${latest} in the package manifest`,
    needsHistory: () => undefined,
    extra: async () => [],
  },
  async toolchain(section) {
    const { findBuildInterpreter } = await import('./build.js');
    try {
      await findBuildInterpreter(section.interpreter);
      return {};
    } catch {
      return { missing: `no Python with the "build" module: ${INSTALL_BUILD}` };
    }
  },
  devEnv: async () => ({}),
};
