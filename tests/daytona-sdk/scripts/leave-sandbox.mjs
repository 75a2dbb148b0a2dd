// A Daytona script that ends without deleting its sandbox (it prints the id for the test to clean up).
import { busybox, client } from '../support.mjs';

const daytona = client();
const sandbox = await daytona.create({ image: busybox });
console.log(sandbox.id);
