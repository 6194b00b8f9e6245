export { gruCell, lstmCell, rnnReluCell, rnnTanhCell } from './cell-functions';
