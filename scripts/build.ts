/** `npm run build`: writes the function bundle, the very bytes the stack ships, to dist/lambda/. */
import { writeBundle } from '../lib/bundle';

const bundle = writeBundle();
console.log(`${bundle.file}  ${(bundle.bytes / 1024).toFixed(1)} KiB  sha256 ${bundle.sha256}`);
