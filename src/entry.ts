// The bundle's entry: kept tiny so that startup cost is only what main() needs.
import { main } from './main.js';

void main(process.argv.slice(2));
