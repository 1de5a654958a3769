# bench/chart.gp: the chart bench/run.sh draws from qps.dat and p99.dat
# (one row per shape, one column per server). Call with
#   gnuplot -e "dir='results/<time>'; cols=<servers + 1>" bench/chart.gp
set terminal pngcairo size 1400,900 font ",10"
set output dir."/chart.png"
set multiplot layout 2,1 title "crpc.bench: crpc against the anchors (median per cell)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set key outside right top
set grid ytics
set logscale y
set xtics rotate by -30 noenhanced
set datafile missing "NaN"
set title "QPS (calls/s; messages/s for stream-*), higher is better"
plot for [i=2:cols] dir."/qps.dat" using i:xtic(1) title columnheader(i)
set title "p99 latency (us), lower is better"
plot for [i=2:cols] dir."/p99.dat" using i:xtic(1) title columnheader(i)
unset multiplot
