// `npm start` builds first when dist/ is missing or older than src/ or web/.
const { execSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const root = join(__dirname, '..');
const main = join(root, 'dist', 'main.js');
if (!existsSync(main) || newest(join(root, 'dist')) < Math.max(newest(join(root, 'src')), newest(join(root, 'web')))) {
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
}
