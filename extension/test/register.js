// `node --import ./test/register.js`: lets the sources import `./common/...` as they do
// inside a package (where common/ is copied next to them) while they sit in the tree.
import { register } from 'node:module';

register('./resolve.js', import.meta.url);
